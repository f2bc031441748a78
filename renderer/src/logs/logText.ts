/**
 * Log lines as plain text for Copy and Save: one line each, with its full timestamp, level and
 * source, the ANSI escapes removed (a pasted log must read the same in any editor).
 */
import type { LogLine } from '../api/contract.js';
import type { Indexed } from '../state/indexed.js';
import { visibleText } from './logSearch.js';

export function logLineAsText(line: LogLine): string {
  return `${new Date(line.time).toISOString()} ${line.level.toUpperCase().padEnd(5)} [${line.source}] ${visibleText(line.text)}`;
}

export function linesAsText(lines: Indexed<LogLine>): string {
  let out = '';
  for (let i = 0; i < lines.length; i += 1) out += `${logLineAsText(lines.at(i)!)}\n`;
  return out;
}

/** A file name for a saved view, e.g. `builder-bar-logs-2026-11-24T22-10-05Z.log`. */
export function savedLogName(now: number): string {
  return `builder-bar-logs-${new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-')}.log`;
}

/** Which lines the Logs window shows by level: the levels the user ticked. */
import type { LogLevel, LogLine } from '../api/contract.js';

export const allLevels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function filterByLevel(lines: readonly LogLine[], shown: ReadonlySet<LogLevel>): readonly LogLine[] {
  // Same identity when nothing is hidden, so the list does not re-filter a large log for nothing.
  if (allLevels.every((level) => shown.has(level))) return lines;
  return lines.filter((line) => shown.has(line.level));
}

/** Toggling the last ticked level off would show nothing; keep it on instead (as for sources). */
export function toggleLevel(shown: ReadonlySet<LogLevel>, level: LogLevel): Set<LogLevel> {
  const next = new Set(shown);
  if (next.has(level)) {
    if (next.size > 1) next.delete(level);
  } else {
    next.add(level);
  }
  return next;
}

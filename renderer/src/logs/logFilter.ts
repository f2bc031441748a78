/**
 * Which lines the Logs window shows: the sources and the levels the user ticked. Both filters
 * are the same idea on a different field, so they share one filter and one toggle.
 */
import type { LogLevel, LogLine, LogSource } from '../api/contract.js';

export const allSources: readonly LogSource[] = ['app', 'vm-console', 'qemu', 'ssh'];
export const allLevels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Lines whose `field` is ticked; the same array when nothing is hidden, so a large log is not re-filtered. */
export function filterLines<F extends 'source' | 'level'>(
  lines: readonly LogLine[],
  field: F,
  shown: ReadonlySet<LogLine[F]>,
  all: readonly LogLine[F][],
): readonly LogLine[] {
  if (all.every((value) => shown.has(value))) return lines;
  return lines.filter((line) => shown.has(line[field]));
}

/** Toggling the last ticked value off would show nothing; keep it on instead. */
export function toggleKeepingOne<T>(shown: ReadonlySet<T>, value: T): Set<T> {
  const next = new Set(shown);
  if (next.has(value)) {
    if (next.size > 1) next.delete(value);
  } else {
    next.add(value);
  }
  return next;
}

export const filterBySource = (lines: readonly LogLine[], shown: ReadonlySet<LogSource>) => filterLines(lines, 'source', shown, allSources);
export const filterByLevel = (lines: readonly LogLine[], shown: ReadonlySet<LogLevel>) => filterLines(lines, 'level', shown, allLevels);
export const toggleSource = toggleKeepingOne<LogSource>;
export const toggleLevel = toggleKeepingOne<LogLevel>;

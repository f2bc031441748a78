/**
 * Which lines the Logs window shows: the sources and the levels the user ticked. Levels are a
 * fixed list, so the filter keeps the ticked ones. Sources are not: a build that starts brings
 * its own stream (`build:<id>`), which must show up ticked, so the source filter keeps the
 * *unticked* ones instead. Either way the last visible value cannot be unticked.
 */
import type { FixedLogSource, LogLevel, LogLine, LogSource } from '../api/contract.js';

export const fixedSources: readonly FixedLogSource[] = ['app', 'vm-console', 'qemu', 'ssh', 'nix-wiring'];
export const allLevels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Lines whose level is ticked; the same array when nothing is hidden, so a large log is not re-filtered. */
export function filterByLevel(lines: readonly LogLine[], shown: ReadonlySet<LogLevel>): readonly LogLine[] {
  if (allLevels.every((level) => shown.has(level))) return lines;
  return lines.filter((line) => shown.has(line.level));
}

/** Toggling the last ticked level off would show nothing; keep it on instead. */
export function toggleLevel(shown: ReadonlySet<LogLevel>, level: LogLevel): Set<LogLevel> {
  const next = new Set(shown);
  if (next.has(level)) {
    if (next.size > 1) next.delete(level);
  } else {
    next.add(level);
  }
  return next;
}

/** Lines whose source is not hidden; the same array when none is. */
export function filterBySource(lines: readonly LogLine[], hidden: ReadonlySet<LogSource>): readonly LogLine[] {
  if (hidden.size === 0) return lines;
  return lines.filter((line) => !hidden.has(line.source));
}

/** Hides or shows `source`; hiding the last visible one of `sources` is refused (nothing would show). */
export function toggleSource(hidden: ReadonlySet<LogSource>, source: LogSource, sources: readonly LogSource[]): Set<LogSource> {
  const next = new Set(hidden);
  if (next.has(source)) {
    next.delete(source);
  } else if (sources.filter((candidate) => !next.has(candidate)).length > 1) {
    next.add(source);
  }
  return next;
}

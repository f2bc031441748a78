/** Which lines the Logs window shows: the sources the user ticked. */
import type { LogLine, LogSource } from '../api/contract.js';

export const allSources: readonly LogSource[] = ['app', 'vm-console', 'qemu', 'ssh'];

export function filterBySource(lines: readonly LogLine[], shown: ReadonlySet<LogSource>): readonly LogLine[] {
  if (allSources.every((source) => shown.has(source))) return lines;
  return lines.filter((line) => shown.has(line.source));
}

/** Toggling the last ticked source off would show nothing; keep it on instead. */
export function toggleSource(shown: ReadonlySet<LogSource>, source: LogSource): Set<LogSource> {
  const next = new Set(shown);
  if (next.has(source)) {
    if (next.size > 1) next.delete(source);
  } else {
    next.add(source);
  }
  return next;
}

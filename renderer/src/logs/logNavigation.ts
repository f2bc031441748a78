/**
 * Where Next / Previous / Next error go. Positions are indices into the shown (filtered) lines;
 * stepping wraps around so the buttons never dead-end, like a browser's find bar. Matches are
 * ascending, so finding the neighbour of a line is a binary search, not a walk over them all.
 */
import type { LogLevel } from '../api/contract.js';
import type { Indexed } from '../state/indexed.js';

/** How many of the ascending `matches` are at or below `line` (or below it, when `strictly`). */
function countUpTo(matches: Indexed<number>, line: number, strictly: boolean): number {
  let low = 0;
  let high = matches.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const found = matches.at(middle)!;
    if (strictly ? found < line : found <= line) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Position (into `matches`) of the first match after line `from`, wrapping; null when none. */
export function nextMatch(matches: Indexed<number>, from: number): number | null {
  if (matches.length === 0) return null;
  const after = countUpTo(matches, from, false);
  return after < matches.length ? after : 0;
}

/** Position (into `matches`) of the last match before line `from`, wrapping; null when none. */
export function previousMatch(matches: Indexed<number>, from: number): number | null {
  if (matches.length === 0) return null;
  const before = countUpTo(matches, from, true);
  return before > 0 ? before - 1 : matches.length - 1;
}

/** Lines read by level alone: the Logs window's view, or a plain array in tests. */
export interface LevelColumn {
  readonly length: number;
  levelAt(index: number): LogLevel;
}

/** Index of the first `error` line after line `from`, wrapping; null when there is none. */
export function nextError(lines: LevelColumn, from: number): number | null {
  const n = lines.length;
  for (let step = 1; step <= n; step++) {
    const index = (((from + step) % n) + n) % n;
    if (lines.levelAt(index) === 'error') return index;
  }
  return null;
}

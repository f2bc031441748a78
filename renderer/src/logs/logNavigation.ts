/**
 * Where Next / Previous / Next error go. Positions are indices into the shown (filtered) lines;
 * stepping wraps around so the buttons never dead-end, like a browser's find bar.
 */
import type { LogLine } from '../api/contract.js';

/** Position (into `matches`) of the first match after line `from`, wrapping; null when none. */
export function nextMatch(matches: readonly number[], from: number): number | null {
  if (matches.length === 0) return null;
  const after = matches.findIndex((line) => line > from);
  return after >= 0 ? after : 0;
}

/** Position (into `matches`) of the last match before line `from`, wrapping; null when none. */
export function previousMatch(matches: readonly number[], from: number): number | null {
  if (matches.length === 0) return null;
  for (let i = matches.length - 1; i >= 0; i--) {
    if ((matches[i] ?? Infinity) < from) return i;
  }
  return matches.length - 1;
}

/** Index of the first `error` line after line `from`, wrapping; null when there is none. */
export function nextError(lines: readonly LogLine[], from: number): number | null {
  const n = lines.length;
  for (let step = 1; step <= n; step++) {
    const index = (((from + step) % n) + n) % n;
    if (lines[index]?.level === 'error') return index;
  }
  return null;
}

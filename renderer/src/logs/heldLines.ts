/**
 * How many lines the window does not hold. The hub numbers every line it sees, across all
 * sources, so gaps in the numbers the window holds are lines it never got (dropped from a
 * flooded batch), and the numbers before its first line are lines let go (trimmed by a ring,
 * the window's own cap, or older than the tail it fetched).
 */
import type { LogLine } from '../api/contract.js';
import type { Indexed } from '../state/indexed.js';

export interface HeldLines {
  trimmed: number;
  dropped: number;
}

/** O(1): reads only the first and the last line. */
export function heldLines(lines: Indexed<LogLine>): HeldLines {
  const first = lines.at(0);
  const last = lines.at(lines.length - 1);
  if (!first || !last) return { trimmed: 0, dropped: 0 };
  return { trimmed: first.seq, dropped: last.seq - first.seq + 1 - lines.length };
}

/**
 * Plain-text, case-insensitive search over log lines. The needle is never a regex (a user
 * typing `a.b` or `(` means those characters), and it is matched against the text a reader sees:
 * ANSI escapes stripped, so a colour change in the middle of a word does not hide it.
 */
import type { LogLine } from '../api/contract.js';
import { parseAnsi } from './ansi.js';

export interface MatchRange {
  /** Offsets into the line's visible text (escapes removed), end exclusive. */
  readonly start: number;
  readonly end: number;
}

export function visibleText(text: string): string {
  return parseAnsi(text)
    .map((segment) => segment.text)
    .join('');
}

/** Every non-overlapping occurrence of `query` in `text` (visible text), left to right. */
export function matchRanges(text: string, query: string): MatchRange[] {
  if (query === '') return [];
  // toLowerCase on both keeps offsets aligned for the scripts log text holds; a length change
  // (a rare Unicode case mapping) would misplace highlights, so such a line falls back to none.
  const haystack = text.toLowerCase();
  if (haystack.length !== text.length) return [];
  const needle = query.toLowerCase();
  const ranges: MatchRange[] = [];
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(needle, from);
    if (at < 0) return ranges;
    ranges.push({ start: at, end: at + needle.length });
    from = at + needle.length;
  }
}

/**
 * Whether the visible text of `text` contains `needle` (already lower-cased). Most log lines
 * carry no escape at all; those skip the ANSI parse, which a search over a million lines feels.
 */
export function textContainsQuery(text: string, needle: string): boolean {
  const visible = text.includes('\u001b') ? visibleText(text) : text;
  return visible.toLowerCase().includes(needle);
}

/** Indices (into `lines`) of the lines whose visible text contains `query`, ascending. */
export function matchingLines(lines: readonly LogLine[], query: string): number[] {
  if (query === '') return [];
  const needle = query.toLowerCase();
  const found: number[] = [];
  lines.forEach((line, index) => {
    if (textContainsQuery(line.text, needle)) found.push(index);
  });
  return found;
}

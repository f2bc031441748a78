/**
 * Splits ANSI segments at search-match boundaries so a match can be wrapped in `<mark>` while
 * each piece keeps its colour. Ranges are offsets into the concatenated segment text.
 */
import type { AnsiSegment, AnsiStyle } from './ansi.js';
import type { MatchRange } from './logSearch.js';

export interface MarkedSegment {
  readonly text: string;
  readonly style: AnsiStyle;
  readonly marked: boolean;
}

export function splitAtMatches(segments: readonly AnsiSegment[], ranges: readonly MatchRange[]): MarkedSegment[] {
  const out: MarkedSegment[] = [];
  let offset = 0;
  let r = 0;
  for (const segment of segments) {
    const segEnd = offset + segment.text.length;
    let pos = offset;
    while (pos < segEnd) {
      // Skip ranges that ended before this point.
      while (r < ranges.length && (ranges[r]?.end ?? 0) <= pos) r++;
      const range = ranges[r];
      let cut: number;
      let marked: boolean;
      if (range && range.start <= pos) {
        cut = Math.min(range.end, segEnd);
        marked = true;
      } else {
        cut = range ? Math.min(range.start, segEnd) : segEnd;
        marked = false;
      }
      out.push({ text: segment.text.slice(pos - offset, cut - offset), style: segment.style, marked });
      pos = cut;
    }
    offset = segEnd;
  }
  return out;
}

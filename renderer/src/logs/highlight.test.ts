import { describe, expect, it } from 'vitest';
import { parseAnsi } from './ansi.js';
import { splitAtMatches } from './highlight.js';

const ESC = '\u001b';
const flat = (text: string, ranges: { start: number; end: number }[]) =>
  splitAtMatches(parseAnsi(text), ranges).map((piece) => [piece.text, piece.marked, piece.style.fg?.kind === 'index' ? piece.style.fg.index : null]);

describe('splitting segments at matches', () => {
  it('marks a match inside one plain segment', () => {
    expect(flat('the core started ok', [{ start: 4, end: 16 }])).toEqual([
      ['the ', false, null],
      ['core started', true, null],
      [' ok', false, null],
    ]);
  });

  it('splits a match that crosses a colour boundary and keeps each colour', () => {
    expect(flat(`${ESC}[31mcore${ESC}[0m started`, [{ start: 2, end: 7 }])).toEqual([
      ['co', false, 1],
      ['re', true, 1],
      [' st', true, null],
      ['arted', false, null],
    ]);
  });

  it('handles several matches, at the edges too, and leaves text unchanged', () => {
    const pieces = splitAtMatches(parseAnsi('abXabYab'), [
      { start: 0, end: 2 },
      { start: 3, end: 5 },
      { start: 6, end: 8 },
    ]);
    expect(pieces.map((p) => p.text).join('')).toBe('abXabYab');
    expect(pieces.map((p) => p.marked)).toEqual([true, false, true, false, true]);
  });
});

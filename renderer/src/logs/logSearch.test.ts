import { describe, expect, it } from 'vitest';
import type { LogLine } from '../api/contract.js';
import { matchingLines, matchRanges, visibleText } from './logSearch.js';

const ESC = '\u001b';
const line = (seq: number, text: string): LogLine => ({ seq, time: seq, source: 'app', level: 'info', text });

describe('log search', () => {
  it('finds every occurrence, case-insensitively, without overlap', () => {
    expect(matchRanges('Core started; core STARTED', 'core started')).toEqual([
      { start: 0, end: 12 },
      { start: 14, end: 26 },
    ]);
    expect(matchRanges('aaaa', 'aa')).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 4 },
    ]);
  });

  it('treats the query as plain text, not a regex', () => {
    expect(matchRanges('a.b axb (x)', 'a.b')).toEqual([{ start: 0, end: 3 }]);
    expect(matchRanges('f(x) [y]', '(x)')).toEqual([{ start: 1, end: 4 }]);
    expect(matchRanges('anything', '.*')).toEqual([]);
  });

  it('matches nothing for an empty query', () => {
    expect(matchRanges('text', '')).toEqual([]);
    expect(matchingLines([line(1, 'text')], '')).toEqual([]);
  });

  it('searches the visible text, so a colour change inside a word does not hide it', () => {
    const coloured = `${ESC}[31mcore${ESC}[0m started`;
    expect(visibleText(coloured)).toBe('core started');
    expect(matchingLines([line(1, 'other'), line(2, coloured), line(3, 'CORE STARTED')], 'core started')).toEqual([1, 2]);
  });
});

import { describe, expect, it } from 'vitest';
import type { LogLine } from '../api/contract.js';
import { mergeLogLines } from './mirror.js';

const line = (seq: number, text = `line ${seq}`): LogLine => ({
  seq,
  time: 1_700_000_000_000 + seq,
  source: 'vm-console',
  level: 'info',
  text,
});
const seqs = (lines: LogLine[]): number[] => lines.map((l) => l.seq);

describe('mergeLogLines', () => {
  it('appends a live batch after what the window holds', () => {
    expect(seqs(mergeLogLines([line(1), line(2)], [line(3), line(4)], 10))).toEqual([1, 2, 3, 4]);
  });

  it('keeps order and drops duplicates when the initial tail overlaps events that came first', () => {
    const fromEvents = [line(8), line(9)];
    const tail = [line(5), line(6), line(7), line(8)];
    expect(seqs(mergeLogLines(fromEvents, tail, 10))).toEqual([5, 6, 7, 8, 9]);
  });

  it('keeps only the newest lines beyond the cap', () => {
    const many = Array.from({ length: 20 }, (_, i) => line(i));
    expect(seqs(mergeLogLines([], many, 5))).toEqual([15, 16, 17, 18, 19]);
    expect(seqs(mergeLogLines(many.slice(0, 10), many.slice(10), 3))).toEqual([17, 18, 19]);
  });

  it('does not change the list it was given', () => {
    const existing = [line(1)];
    mergeLogLines(existing, [line(2)], 10);
    expect(seqs(existing)).toEqual([1]);
  });
});

import { describe, expect, it } from 'vitest';
import type { LogLine } from '../api/contract.js';
import { emptyLogs, mergeLogLines, type LogsSnapshot } from './mirror.js';

const line = (seq: number, text = `line ${seq}`): LogLine => ({
  seq,
  time: 1_700_000_000_000 + seq,
  source: 'vm-console',
  level: 'info',
  text,
});
const seqs = (logs: LogsSnapshot): number[] => logs.buffer.toArray().map((l) => l.seq);
const holding = (cap: number, lines: LogLine[]): LogsSnapshot => mergeLogLines(emptyLogs(cap), lines);

describe('mergeLogLines', () => {
  it('appends a live batch after what the window holds', () => {
    expect(seqs(mergeLogLines(holding(10, [line(1), line(2)]), [line(3), line(4)]))).toEqual([1, 2, 3, 4]);
  });

  it('keeps order and drops duplicates when the initial tail overlaps events that came first', () => {
    const fromEvents = holding(10, [line(8), line(9)]);
    const tail = [line(5), line(6), line(7), line(8)];
    expect(seqs(mergeLogLines(fromEvents, tail))).toEqual([5, 6, 7, 8, 9]);
  });

  it('keeps only the newest lines beyond the cap', () => {
    const many = Array.from({ length: 20 }, (_, i) => line(i));
    expect(seqs(holding(5, many))).toEqual([15, 16, 17, 18, 19]);
    expect(seqs(mergeLogLines(holding(3, many.slice(0, 10)), many.slice(10)))).toEqual([17, 18, 19]);
  });

  it('publishes a new snapshot per change, sharing the lines, and the same one for an empty batch', () => {
    const before = holding(10, [line(1)]);
    const after = mergeLogLines(before, [line(2)]);
    expect(after).not.toBe(before);
    expect(after.buffer).toBe(before.buffer);
    expect(after.version).toBe(before.version + 1);
    expect(mergeLogLines(after, [])).toBe(after);
  });
});

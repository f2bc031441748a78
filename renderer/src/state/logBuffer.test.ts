import { describe, expect, it } from 'vitest';
import type { LogLine } from '../api/contract.js';
import { FrontTrimmedList } from './frontTrimmedList.js';
import { LogBuffer } from './logBuffer.js';

const line = (seq: number): LogLine => ({ seq, time: 1_700_000_000_000 + seq, source: 'app', level: 'info', text: `line ${seq}` });
const run = (from: number, count: number): LogLine[] => Array.from({ length: count }, (_, i) => line(from + i));
const seqs = (buffer: LogBuffer): number[] => buffer.toArray().map((l) => l.seq);

describe('FrontTrimmedList', () => {
  it('reads by index after its front was dropped, across compactions', () => {
    const list = new FrontTrimmedList<number>();
    for (let i = 0; i < 5000; i += 1) list.push(i);
    list.dropFront(1000);
    expect(list.length).toBe(4000);
    expect(list.at(0)).toBe(1000);
    list.dropFront(2500); // past half: compacts
    expect(list.length).toBe(1500);
    expect(list.at(0)).toBe(3500);
    expect(list.at(1499)).toBe(4999);
    expect(list.at(1500)).toBeUndefined();
    expect(list.at(-1)).toBeUndefined();
    list.pushFrom([7, 8, 9], 1);
    expect(list.toArray().slice(-3)).toEqual([4999, 8, 9]);
    list.dropFront(10_000);
    expect(list.length).toBe(0);
  });
});

describe('LogBuffer', () => {
  it('appends live batches in order and reads by index and by position', () => {
    const buffer = new LogBuffer(100);
    expect(buffer.merge(run(0, 3))).toBe(true);
    expect(buffer.merge(run(3, 2))).toBe(true);
    expect(seqs(buffer)).toEqual([0, 1, 2, 3, 4]);
    expect(buffer.length).toBe(5);
    expect(buffer.at(4)?.seq).toBe(4);
    expect(buffer.at(5)).toBeUndefined();
    expect(buffer.firstPosition).toBe(0);
    expect(buffer.endPosition).toBe(5);
    expect(buffer.generation).toBe(0);
    expect(buffer.merge([])).toBe(false);
  });

  it('trims at the cap by advancing its first position, keeping positions of the lines it keeps', () => {
    const buffer = new LogBuffer(10);
    buffer.merge(run(0, 8));
    const positionOfSeven = 7;
    buffer.merge(run(8, 5));
    expect(seqs(buffer)).toEqual(run(3, 10).map((l) => l.seq));
    expect(buffer.firstPosition).toBe(3);
    expect(buffer.endPosition).toBe(13);
    expect(buffer.atPosition(positionOfSeven)?.seq).toBe(7);
    expect(buffer.atPosition(2)).toBeUndefined();
    expect(buffer.generation).toBe(0);
  });

  it('keeps only the newest cap lines of a batch larger than the cap', () => {
    const buffer = new LogBuffer(3);
    buffer.merge(run(0, 2));
    buffer.merge(run(2, 10));
    expect(seqs(buffer)).toEqual([9, 10, 11]);
    expect(buffer.firstPosition).toBe(9);
    expect(buffer.atPosition(9)?.seq).toBe(9);
  });

  it('stays correct over many batches at the cap (compactions included)', () => {
    const buffer = new LogBuffer(5000);
    let seq = 0;
    for (let batch = 0; batch < 400; batch += 1) {
      buffer.merge(run(seq, 83));
      seq += 83;
    }
    expect(buffer.length).toBe(5000);
    expect(buffer.at(0)?.seq).toBe(seq - 5000);
    expect(buffer.at(4999)?.seq).toBe(seq - 1);
    expect(buffer.atPosition(buffer.firstPosition + 17)?.seq).toBe(seq - 5000 + 17);
  });

  it('merges an overlapping or older batch by seq without duplicates, and says it renumbered', () => {
    const buffer = new LogBuffer(10);
    buffer.merge([line(8), line(9)]);
    buffer.merge([line(5), line(6), line(7), line(8)]);
    expect(seqs(buffer)).toEqual([5, 6, 7, 8, 9]);
    expect(buffer.generation).toBe(1);
    expect(buffer.firstPosition).toBe(0);
    // A batch out of order within itself is merged too.
    buffer.merge([line(11), line(10)]);
    expect(seqs(buffer)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(buffer.generation).toBe(2);
  });

  it('applies the cap to a merge as well', () => {
    const buffer = new LogBuffer(3);
    buffer.merge(run(10, 3));
    buffer.merge(run(0, 5));
    expect(seqs(buffer)).toEqual([10, 11, 12]);
  });

  it('refuses a cap that could hold nothing', () => {
    expect(() => new LogBuffer(0)).toThrow(RangeError);
  });
});

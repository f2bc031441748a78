import { describe, expect, it } from 'vitest';
import { packLogLines } from '../../../electron/ipc/logFrame.js';
import { unpackLogFrame, type LogFrame, type LogLine } from '../api/contract.js';
import { FrontTrimmedList } from './frontTrimmedList.js';
import { LogBuffer } from './logBuffer.js';

const line = (seq: number): LogLine => ({ seq, time: 1_700_000_000_000 + seq, source: 'app', level: 'info', text: `line ${seq}` });
const run = (from: number, count: number): LogLine[] => Array.from({ length: count }, (_, i) => line(from + i));
const seqs = (buffer: LogBuffer): number[] => buffer.toArray().map((l) => l.seq);

/** The lines as the headless door sends them and the window receives them: a packed frame. */
const packed = (lines: LogLine[]): LogFrame => {
  const { head, texts } = packLogLines(lines)!;
  return unpackLogFrame(new TextEncoder().encode(head + texts))!;
};

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
    list.push(8);
    expect([list.at(1499), list.at(1500)]).toEqual([4999, 8]);
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

  it('keeps packed frames as they came and reads their columns and lines like objects', () => {
    const buffer = new LogBuffer(100);
    const lines = [
      line(1),
      { ...line(2), source: 'build:b1' as const, level: 'error' as const, text: '\u001b[31mfailed ✗\u001b[0m' },
      { ...line(3), source: 'build:b1' as const, level: 'error' as const, text: '' },
      line(7),
    ];
    expect(buffer.merge(packed(lines))).toBe(true);
    expect(buffer.merge(run(8, 2))).toBe(true);
    expect(buffer.toArray()).toEqual([...lines, ...run(8, 2)]);
    expect([0, 1, 2, 3, 4, 5].map((p) => buffer.seqAtPosition(p))).toEqual([1, 2, 3, 7, 8, 9]);
    expect(buffer.sourceAtPosition(1)).toBe('build:b1');
    expect(buffer.levelAtPosition(2)).toBe('error');
    expect(buffer.textAtPosition(1)).toBe('\u001b[31mfailed ✗\u001b[0m');
    expect(buffer.textAtPosition(2)).toBe('');
    // The same line object for the same line, so a row's memo holds from frame to frame.
    expect(buffer.at(1)).toBe(buffer.at(1));
    expect(() => buffer.seqAtPosition(6)).toThrow(RangeError);
    expect(buffer.at(6)).toBeUndefined();
  });

  it('trims packed frames at the cap, across and within frames, many batches long', () => {
    const buffer = new LogBuffer(1000);
    let seq = 0;
    for (let batch = 0; batch < 300; batch += 1) {
      const size = 1 + ((batch * 37) % 90);
      buffer.merge(batch % 3 === 0 ? run(seq, size) : packed(run(seq, size)));
      seq += size;
    }
    expect(buffer.length).toBe(1000);
    expect(seqs(buffer)).toEqual(run(seq - 1000, 1000).map((l) => l.seq));
    // Column reads in any order (not only walks) find the right frame.
    for (const index of [999, 0, 500, 1, 998, 250]) {
      const position = buffer.firstPosition + index;
      expect(buffer.seqAtPosition(position)).toBe(seq - 1000 + index);
      expect(buffer.textAtPosition(position)).toBe(`line ${seq - 1000 + index}`);
    }
  });

  it('keeps the newest cap lines of a packed frame larger than the cap', () => {
    const buffer = new LogBuffer(3);
    buffer.merge(packed(run(0, 10)));
    expect(seqs(buffer)).toEqual([7, 8, 9]);
    expect(buffer.firstPosition).toBe(7);
  });

  it('merges a packed frame that overlaps what is held, as objects would be', () => {
    const buffer = new LogBuffer(10);
    buffer.merge(packed(run(5, 3)));
    buffer.merge(packed(run(3, 4)));
    expect(seqs(buffer)).toEqual([3, 4, 5, 6, 7]);
    expect(buffer.generation).toBe(1);
    expect(buffer.textAtPosition(0)).toBe('line 3');
  });

  it('refuses a cap that could hold nothing', () => {
    expect(() => new LogBuffer(0)).toThrow(RangeError);
  });
});

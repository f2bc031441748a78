import { describe, expect, it } from 'vitest';
import type { LogLine } from './contract.js';
import { LOG_FRAME_MARK, logFrameLines, logFrameText, packLogLines, unpackLogFrame } from './logFrame.js';

const line = (seq: number, text: string, over: Partial<LogLine> = {}): LogLine => ({ seq, time: 1_700_000_000_000, source: 'app', level: 'info', text, ...over });

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A frame made by hand: the mark, the header's runs, the texts. */
const frame = (runs: unknown, texts: string[]) => utf8(`${LOG_FRAME_MARK}${JSON.stringify({ runs })}\n${texts.join('\n')}`);

/** What the window reads from a frame the door sent. */
const received = (bytes: Uint8Array) => {
  const unpacked = unpackLogFrame(bytes);
  return unpacked === null ? null : logFrameLines(unpacked);
};

describe('packed log frames', () => {
  it('round-trips lines of several sources, levels and times, ANSI and empty texts included', () => {
    const lines = [
      line(1, '\u001b[35;1m/nix/store/abc-hello\u001b[0m'),
      line(2, ''),
      line(3, 'warn line', { level: 'warn' }),
      line(4, 'from a build', { source: 'build:b-1_x' }),
      line(5, 'a millisecond later', { source: 'build:b-1_x', time: 1_700_000_000_001 }),
      line(9, 'after a gap in seq', { source: 'build:b-1_x', time: 1_700_000_000_001 }),
      line(10, 'ünïcödé → ✓'),
    ];
    const { head, texts } = packLogLines(lines)!;
    const packed = utf8(head + texts);
    expect(received(packed)).toEqual(lines);
    const unpacked = unpackLogFrame(packed)!;
    expect(unpacked.length).toBe(7);
    expect(logFrameText(unpacked, 6)).toBe('ünïcödé → ✓');
    expect(logFrameText(unpacked, 1)).toBe('');
  });

  it('writes consecutive lines of one append as one run, not as one entry per line', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => line(100 + i, `line ${i}`));
    const { head, texts } = packLogLines(lines)!;
    expect(head).toBe(`${LOG_FRAME_MARK}{"runs":[[100,1700000000000,"app","info",1000]]}\n`);
    expect(received(utf8(head + texts))).toEqual(lines);
  });

  it('refuses to pack a text holding a newline, and an empty batch', () => {
    expect(packLogLines([line(1, 'ok'), line(2, 'two\nlines')])).toBeNull();
    expect(packLogLines([])).toBeNull();
  });

  it('refuses, whole, a frame that does not hold up', () => {
    const good = [[1, 5, 'app', 'info', 2]];
    expect(received(frame(good, ['a', 'b']))).toHaveLength(2);
    const bad: Array<[string, Uint8Array]> = [
      ['nothing', new Uint8Array(0)],
      ['no mark', frame(good, ['a', 'b']).subarray(1)],
      ['no header end', utf8(`${LOG_FRAME_MARK}{"runs":[]}`)],
      ['header not JSON', utf8(`${LOG_FRAME_MARK}{runs\na`)],
      ['header not UTF-8', Uint8Array.from([...utf8(`${LOG_FRAME_MARK}{"runs":[[1,5,"app","info",1]]}`), 0xff, 0x0a, 0x61])],
      ['no runs', frame([], [''])],
      ['runs not an array', utf8(`${LOG_FRAME_MARK}{"runs":{}}\na`)],
      ['a count larger than the frame', frame([[1, 5, 'app', 'info', 1e12]], ['a'])],
      ['fewer texts than the runs count', frame(good, ['a'])],
      ['more texts than the runs count', frame(good, ['a', 'b', 'c'])],
      ['a run of four fields', frame([[1, 5, 'app', 'info']], ['a'])],
      ['a negative seq', frame([[-1, 5, 'app', 'info', 1]], ['a'])],
      ['a fractional seq', frame([[1.5, 5, 'app', 'info', 1]], ['a'])],
      ['a time that is not a number', frame([[1, '5', 'app', 'info', 1]], ['a'])],
      ['an unknown source', frame([[1, 5, 'elsewhere', 'info', 1]], ['a'])],
      ['a build source with a path in it', frame([[1, 5, 'build:../x', 'info', 1]], ['a'])],
      ['an unknown level', frame([[1, 5, 'app', 'loud', 1]], ['a'])],
      ['a zero count', frame([[1, 5, 'app', 'info', 0]], [''])],
      ['a seq past the safe integers', frame([[Number.MAX_SAFE_INTEGER, 5, 'app', 'info', 2]], ['a', 'b'])],
    ];
    for (const [why, bytes] of bad) expect(unpackLogFrame(bytes), why).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import type { LogLine } from './contract.js';
import { LOG_FRAME_MARK, packLogLines, unpackLogFrame } from './logFrame.js';

const line = (seq: number, text: string, over: Partial<LogLine> = {}): LogLine => ({ seq, time: 1_700_000_000_000, source: 'app', level: 'info', text, ...over });

/** A frame made by hand: the mark, the header's runs, the texts. */
const frame = (runs: unknown, texts: string[]) => `${LOG_FRAME_MARK}${JSON.stringify({ runs })}\n${texts.join('\n')}`;

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
    const packed = head + texts;
    expect(unpackLogFrame(packed)).toEqual(lines);
  });

  it('writes consecutive lines of one append as one run, not as one entry per line', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => line(100 + i, `line ${i}`));
    const { head, texts } = packLogLines(lines)!;
    const packed = head + texts;
    expect(packed.slice(0, packed.indexOf('\n'))).toBe(`${LOG_FRAME_MARK}{"runs":[[100,1700000000000,"app","info",1000]]}`);
    expect(unpackLogFrame(packed)).toEqual(lines);
  });

  it('refuses to pack a text holding a newline, and an empty batch', () => {
    expect(packLogLines([line(1, 'ok'), line(2, 'two\nlines')])).toBeNull();
    expect(packLogLines([])).toBeNull();
  });

  it('refuses, whole, a frame that does not hold up', () => {
    const good = [[1, 5, 'app', 'info', 2]];
    expect(unpackLogFrame(frame(good, ['a', 'b']))).toHaveLength(2);
    const bad: Array<[string, string]> = [
      ['no mark', frame(good, ['a', 'b']).slice(1)],
      ['no header end', `${LOG_FRAME_MARK}{"runs":[]}`],
      ['header not JSON', `${LOG_FRAME_MARK}{runs\na`],
      ['no runs', frame([], [''])],
      ['runs not an array', `${LOG_FRAME_MARK}{"runs":{}}\na`],
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
    for (const [why, text] of bad) expect(unpackLogFrame(text), why).toBeNull();
  });
});

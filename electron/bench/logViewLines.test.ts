import { describe, expect, it } from 'vitest';
import { benchRunBytes, benchRunLine, endMarkerLine, nixBuildLine } from './logViewLines.js';

const ESC = '\u001b';

describe('nixBuildLine', () => {
  it('is the same text for the same index, so both views get the same bytes', () => {
    expect(nixBuildLine(12_345)).toBe(nixBuildLine(12_345));
    expect(nixBuildLine(1)).not.toBe(nixBuildLine(2));
  });

  it('carries Nix’s store-path colour and GCC’s warning colour, and one error line in 1024', () => {
    const lines = Array.from({ length: 2048 }, (_v, i) => nixBuildLine(i));
    expect(lines[0]).toMatch(new RegExp(`^building '${ESC}\\[35;1m/nix/store/[0-9a-z]{32}-hello-2\\.12\\.1\\.drv${ESC}\\[0m'\\.\\.\\.$`));
    expect(lines.some((line) => line.includes(`${ESC}[01;35m${ESC}[Kwarning: `))).toBe(true);
    expect(lines.filter((line) => line.startsWith(`${ESC}[31;1merror:${ESC}[0m`))).toHaveLength(2);
  });

  it('holds no newline, so one call is one line in the hub and in the terminal', () => {
    for (let i = 0; i < 64; i += 1) expect(nixBuildLine(i)).not.toMatch(/[\r\n]/);
  });

  it('weighs like a real build log line (tens of bytes to a couple of hundred)', () => {
    const lengths = Array.from({ length: 1024 }, (_v, i) => nixBuildLine(i).length);
    const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    expect(mean).toBeGreaterThan(50);
    expect(mean).toBeLessThan(200);
  });
});

describe('a benchmark run', () => {
  it('ends with its own marker and counts one newline per line', () => {
    expect(benchRunLine(9, 10, 'r1')).toBe(endMarkerLine('r1'));
    expect(benchRunLine(8, 10, 'r1')).toBe(nixBuildLine(8));
    const expected = Array.from({ length: 10 }, (_v, i) => Buffer.byteLength(benchRunLine(i, 10, 'r1')) + 1).reduce((a, b) => a + b, 0);
    expect(benchRunBytes(10, 'r1')).toBe(expected);
  });
});

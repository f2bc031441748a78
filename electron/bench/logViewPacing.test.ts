import { describe, expect, it } from 'vitest';
import { linesDue } from './logViewPacing.js';

describe('linesDue', () => {
  it('is the rate times the elapsed time, less what was sent', () => {
    expect(linesDue(50_000, 10, 0)).toBe(500);
    expect(linesDue(50_000, 20, 500)).toBe(500);
    expect(linesDue(50_000, 1000, 0)).toBe(50_000);
  });

  it('catches up after a late timer instead of lowering the rate', () => {
    expect(linesDue(50_000, 100, 500)).toBe(4500);
  });

  it('never goes negative when ahead, and nothing is due before the start', () => {
    expect(linesDue(50_000, 10, 900)).toBe(0);
    expect(linesDue(50_000, 0, 0)).toBe(0);
    expect(linesDue(50_000, -5, 0)).toBe(0);
    expect(linesDue(0, 1000, 0)).toBe(0);
  });

  it('stops at the total', () => {
    expect(linesDue(50_000, 60_000, 499_000, 500_000)).toBe(1000);
    expect(linesDue(50_000, 60_000, 500_000, 500_000)).toBe(0);
  });

  it('sums to exactly rate × seconds over a paced stream', () => {
    let sent = 0;
    for (let ms = 7; ms <= 10_000; ms += 7) sent += linesDue(50_000, ms, sent, 500_000);
    sent += linesDue(50_000, 10_000, sent, 500_000);
    expect(sent).toBe(500_000);
  });
});

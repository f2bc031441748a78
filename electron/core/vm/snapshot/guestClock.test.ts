import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { clockOffsetMs, guestClockCommand, parseGuestTimeMs } from './guestClock.js';

describe('reading the guest clock', () => {
  it('takes GNU date with nanoseconds', () => {
    expect(parseGuestTimeMs('1796276013.620543927\n')).toBeCloseTo(1796276013620.544, 3);
  });

  it('falls back to busybox adjtimex, whose tv_usec holds nanoseconds when STA_NANO is set', () => {
    const nano = '1796276013.%N\n    status:       8256 (UNSYNC)\n    time.tv_sec:  1796276013\n    time.tv_usec: 620543927\n';
    expect(parseGuestTimeMs(nano)).toBeCloseTo(1796276013620.544, 3);
    const micro = '1796276013.%N\n    status:       64 (UNSYNC)\n    time.tv_sec:  1796276013\n    time.tv_usec: 620543\n';
    expect(parseGuestTimeMs(micro)).toBeCloseTo(1796276013620.543, 3);
  });

  it('gives null for output it cannot read', () => {
    expect(parseGuestTimeMs('date: not found\n')).toBeNull();
  });

  it('takes the offset against the midpoint of the host readings', () => {
    expect(clockOffsetMs(10_000, 1_000, 3_000)).toBe(8_000);
    expect(clockOffsetMs(1_000, 1_000, 3_000)).toBe(-1_000);
  });

  it('reads this host\'s clock through the same command within a second (busybox here when it has it)', async () => {
    const before = Date.now();
    const result = await execa('sh', ['-c', guestClockCommand]);
    const after = Date.now();
    const guest = parseGuestTimeMs(result.stdout.split('--builder-bar-clock--').pop() ?? '');
    expect(guest).not.toBeNull();
    expect(Math.abs(clockOffsetMs(guest ?? 0, before, after))).toBeLessThan(1_000);
  });
});

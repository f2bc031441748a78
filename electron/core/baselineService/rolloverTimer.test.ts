import { afterEach, describe, expect, it, vi } from 'vitest';
import { RolloverTimer } from './rolloverTimer.js';

describe('RolloverTimer', () => {
  afterEach(() => vi.useRealTimers());

  it('fires once the next rollover has passed, not before', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const fire = vi.fn();
    const timer = new RolloverTimer(() => 1_000 + 60, fire);
    timer.kick();
    vi.advanceTimersByTime(59_000);
    expect(fire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_100);
    expect(fire).toHaveBeenCalledTimes(1);
    timer.close();
  });

  it('waits in capped slices for a rollover weeks away (timers overflow past 24.8 days)', () => {
    vi.useFakeTimers({ now: 0 });
    const fire = vi.fn();
    const thirtyDays = 30 * 86_400;
    const timer = new RolloverTimer(() => thirtyDays, fire);
    timer.kick();
    vi.advanceTimersByTime((thirtyDays - 1) * 1000);
    expect(fire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(7 * 3600 * 1000);
    expect(fire).toHaveBeenCalledTimes(1);
    timer.close();
  });

  it('fires at once for a rollover already passed (e.g. after sleep), and not at all without one', () => {
    vi.useFakeTimers({ now: 5_000_000 });
    const fire = vi.fn();
    new RolloverTimer(() => 10, fire).kick();
    expect(fire).toHaveBeenCalledTimes(1);
    const never = vi.fn();
    new RolloverTimer(() => null, never).kick();
    vi.advanceTimersByTime(10 ** 9);
    expect(never).not.toHaveBeenCalled();
  });
});

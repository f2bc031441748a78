import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from './backoff.js';

describe('reconnectDelayMs', () => {
  const noJitter = { random: () => 0 };

  it('doubles from a quarter second', () => {
    expect([1, 2, 3, 4].map((attempt) => reconnectDelayMs(attempt, noJitter))).toEqual([250, 500, 1000, 2000]);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    expect(reconnectDelayMs(6, noJitter)).toBe(5000);
    expect(reconnectDelayMs(1000, noJitter)).toBe(5000);
    expect(reconnectDelayMs(1000, { random: () => 0.999 })).toBeLessThanOrEqual(5000);
  });

  it('spreads windows apart by at most a fifth of the delay', () => {
    expect(reconnectDelayMs(3, { random: () => 0.5 })).toBe(900);
  });
});

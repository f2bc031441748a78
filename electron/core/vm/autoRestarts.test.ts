import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AutoRestarts } from './autoRestarts.js';

const policy = { enabled: true, maxPerMinute: 6, giveUpAfter: 2 };
const timing = { backoff: { baseMs: 1_000, capMs: 30_000, windowMs: 60_000 }, stableAfterMs: 60_000 };

let logged: string[];
let restarts: AutoRestarts;

beforeEach(() => {
  vi.useFakeTimers();
  logged = [];
  restarts = new AutoRestarts(timing, Date.now, { append: (_source, _level, text) => logged.push(text) });
});
afterEach(() => vi.useRealTimers());

describe('automatic restarts over time', () => {
  it('shows when the next restart is due, and makes it then, counting it', async () => {
    const started: number[] = [];
    const shown = restarts.schedule(policy, null, () => true, (attempt) => started.push(attempt));
    expect(shown).toEqual({ restart: { attempts: 0, nextAt: Date.now() + 1_000, gaveUp: false } });
    await vi.advanceTimersByTimeAsync(999);
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toEqual([1]);
    expect(logged).toContain('Automatic restart 1 of at most 2.');
    // The next failure waits twice as long.
    expect(restarts.schedule(policy, null, () => true, () => undefined)?.restart?.nextAt).toBe(Date.now() + 2_000);
  });

  it('makes no restart that is no longer wanted when its time comes, or that was cancelled', async () => {
    const started: number[] = [];
    restarts.schedule(policy, null, () => false, (attempt) => started.push(attempt));
    await vi.advanceTimersByTimeAsync(60_000);
    restarts.schedule(policy, null, () => true, (attempt) => started.push(attempt));
    restarts.cancel();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(started).toEqual([]);
  });

  it('gives up after too many restarts in a row, quoting the last failure', async () => {
    for (let i = 0; i < policy.giveUpAfter; i++) {
      restarts.schedule(policy, null, () => true, () => undefined);
      await vi.runOnlyPendingTimersAsync();
    }
    const previous = { message: 'QEMU exited with code 1 unexpectedly.', hint: null, exitCode: 1, signal: null, consoleTail: ['qemu: boom'], at: 0 };
    const shown = restarts.schedule(policy, previous, () => true, () => undefined);
    expect(shown?.restart).toEqual({ attempts: 2, nextAt: null, gaveUp: true });
    expect(shown?.error?.message).toMatch(/^Gave up restarting the builder after 2 automatic restarts in a row failed\. Last failure: QEMU exited with code 1/);
    expect(shown?.error?.consoleTail).toEqual(['qemu: boom']);
  });

  it('says so and plans nothing when the policy is off', () => {
    expect(restarts.schedule({ ...policy, enabled: false }, null, () => true, () => undefined)).toBeNull();
    expect(logged).toEqual(['Automatic restarts are off; the builder stays stopped until you start it.']);
  });

  it('forgets earlier restarts once the builder stayed ready long enough, and on a start by the user', async () => {
    restarts.schedule(policy, null, () => true, () => undefined);
    await vi.runOnlyPendingTimersAsync();
    let stable = false;
    restarts.startStableClock(() => {
      stable = true;
    });
    await vi.advanceTimersByTimeAsync(timing.stableAfterMs);
    expect(stable).toBe(true);
    expect(restarts.schedule(policy, null, () => true, () => undefined)?.restart?.attempts).toBe(0);

    await vi.runOnlyPendingTimersAsync();
    restarts.startStableClock(() => undefined);
    restarts.stopStableClock(); // it failed again before it was stable
    await vi.advanceTimersByTimeAsync(timing.stableAfterMs);
    expect(restarts.schedule(policy, null, () => true, () => undefined)?.restart?.attempts).toBe(1);
    restarts.reset();
    expect(restarts.schedule(policy, null, () => true, () => undefined)?.restart?.attempts).toBe(0);
  });
});

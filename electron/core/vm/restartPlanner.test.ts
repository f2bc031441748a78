import { describe, expect, it } from 'vitest';
import { planRestart, rememberRestart, type RestartHistory } from './restartPlanner.js';

const policy = { enabled: true, maxPerMinute: 6, giveUpAfter: 5 };
const fresh: RestartHistory = { attempts: 0, recentRestarts: [] };

describe('restart planning', () => {
  it('backs off 1 s, 2 s, 4 s, 8 s, 16 s between consecutive failed restarts, then gives up', () => {
    let history = fresh;
    let now = 1_000_000;
    const delays: number[] = [];
    for (;;) {
      const decision = planRestart(policy, history, now);
      if (decision.kind !== 'restart') {
        expect(decision.kind).toBe('give-up');
        if (decision.kind === 'give-up') {
          expect(decision.message).toMatch(/5 automatic restarts in a row/);
          expect(decision.hint).toMatch(/start the builder again/);
        }
        break;
      }
      delays.push(decision.delayMs);
      now = decision.at;
      history = rememberRestart(history, now);
      now += 5_000; // the restarted builder fails again 5 s later
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  it('caps the backoff', () => {
    const decision = planRestart({ ...policy, giveUpAfter: 50, maxPerMinute: 6 }, { attempts: 12, recentRestarts: [] }, 0);
    expect(decision).toEqual({ kind: 'restart', delayMs: 30_000, at: 30_000 });
  });

  it('never restarts more often than maxPerMinute in any 60 s window', () => {
    const now = 100_000;
    // Two restarts in the last minute, the policy allows two: the next waits for the oldest to leave the window.
    const history: RestartHistory = { attempts: 0, recentRestarts: [now - 50_000, now - 10_000] };
    const decision = planRestart({ ...policy, maxPerMinute: 2 }, history, now);
    expect(decision).toEqual({ kind: 'restart', delayMs: 10_000, at: now + 10_000 });
  });

  it('keeps the window bounded: restarts older than a minute are forgotten', () => {
    let history = fresh;
    for (let i = 0; i < 10; i++) history = rememberRestart(history, i * 30_000);
    expect(history.recentRestarts).toEqual([240_000, 270_000]);
    expect(history.attempts).toBe(10);
  });

  it('does nothing when the policy is off', () => {
    expect(planRestart({ ...policy, enabled: false }, fresh, 0)).toEqual({ kind: 'disabled' });
  });

  it('with giveUpAfter 1, one failed restart is enough to give up', () => {
    const once = rememberRestart(fresh, 0);
    expect(planRestart({ ...policy, giveUpAfter: 1 }, fresh, 0).kind).toBe('restart');
    expect(planRestart({ ...policy, giveUpAfter: 1 }, once, 5_000)).toMatchObject({ kind: 'give-up', message: expect.stringMatching(/1 automatic restart in a row/) });
  });
});

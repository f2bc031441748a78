import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { BuilderBarApi } from '../api/contract.js';
import { emptyBuildLog, followBuildLog, type BuildLog } from './useBuildLog.js';

type GetBuildLog = BuilderBarApi['getBuildLog'];

/** The log as the component holds it, changed only through the updates followBuildLog sends. */
function heldLog() {
  let log: BuildLog = emptyBuildLog;
  return {
    get: () => log,
    update: (change: (previous: BuildLog) => BuildLog) => {
      log = change(log);
    },
  };
}

describe('followBuildLog', () => {
  let consoleError: MockInstance<typeof console.error>;
  beforeEach(() => {
    vi.useFakeTimers();
    consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.useRealTimers();
    consoleError.mockRestore();
  });

  it('shows a lost reply and keeps a live log updating instead of freezing it', async () => {
    let calls = 0;
    const getBuildLog: GetBuildLog = () => {
      calls += 1;
      // The second fetch never arrives whole (the connection dropped under it).
      if (calls === 2) return Promise.reject(new Error('the socket broke'));
      return Promise.resolve({ ok: true as const, value: { lines: Array.from({ length: calls }, (_, i) => `line ${i + 1}`), dropped: 0 } });
    };
    const log = heldLog();
    const stop = followBuildLog({ getBuildLog }, { id: 'b1', drvPath: '/nix/store/x.drv' }, true, log.update);

    await vi.advanceTimersByTimeAsync(0);
    expect(log.get().lines).toEqual(['line 1']);

    await vi.advanceTimersByTimeAsync(1_000);
    expect(log.get().error?.message).toMatch(/the socket broke/);
    expect(log.get().lines).toEqual(['line 1']);

    await vi.advanceTimersByTimeAsync(1_000);
    expect(log.get()).toEqual({ lines: ['line 1', 'line 2', 'line 3'], dropped: 0, error: null, loaded: true });
    stop();
  });

  it('fetches once when not live, and nothing after it is stopped', async () => {
    let calls = 0;
    const getBuildLog: GetBuildLog = () => {
      calls += 1;
      return Promise.resolve({ ok: true as const, value: { lines: ['done'], dropped: 0 } });
    };
    const log = heldLog();
    followBuildLog({ getBuildLog }, { id: 'b1', drvPath: '/nix/store/x.drv' }, false, log.update);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toBe(1);
    expect(log.get().lines).toEqual(['done']);

    const live = heldLog();
    const stop = followBuildLog({ getBuildLog }, { id: 'b1', drvPath: '/nix/store/x.drv' }, true, live.update);
    await vi.advanceTimersByTimeAsync(0);
    stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toBe(2);
  });
});

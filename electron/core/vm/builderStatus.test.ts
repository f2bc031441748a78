import { describe, expect, it, vi } from 'vitest';
import type { Status, VmState } from '../../ipc/contract.js';
import { initialStatus } from '../../ipc/initialStatus.js';
import { BuilderBarError } from '../errors.js';
import { BuilderStatus } from './builderStatus.js';

function board(state: VmState = 'stopped', now = (): number => 1_000): { status: BuilderStatus; logged: string[] } {
  const logged: string[] = [];
  const status = new BuilderStatus({ ...initialStatus('linux-test', 0), state }, now, { append: (_source, _level, text) => logged.push(text) });
  return { status, logged };
}

describe("the builder's status", () => {
  it('moves only as the state machine allows, stamping the time and logging the move', () => {
    const { status, logged } = board('stopped', () => 5_000);
    status.moveTo('start', { detail: 'preparing' });
    expect(status.current).toMatchObject({ state: 'starting', since: 5_000, detail: 'preparing' });
    expect(logged).toEqual(['Builder state: stopped -> starting (start).']);
    // A stay keeps the state and its time but takes the rest of the change.
    status.moveTo('start', { detail: 'still preparing' });
    expect(status.current).toMatchObject({ state: 'starting', since: 5_000, detail: 'still preparing' });
    expect(logged).toHaveLength(1);
  });

  it('refuses a start while stopping as busy, and calls an impossible move a bug', () => {
    const { status } = board('stopping');
    expect(() => status.check('start')).toThrow(expect.objectContaining({ code: 'busy', hint: 'Wait until it has stopped, then start it.' }));
    expect(status.check('stop')).toBe('stay');
    expect(() => status.moveTo('ready', {})).toThrow(/Supervisor bug: "ready" cannot happen while the builder is stopping/);
    expect(status.current.state).toBe('stopping');
  });

  it('hands listeners a copy of the status, not the status itself, and stops calling one that unsubscribed', () => {
    const { status } = board();
    const first: Status[] = [];
    const second: Status[] = [];
    const unsubscribe = status.onChange((next) => first.push(next));
    status.onChange((next) => second.push(next));
    status.set({ detail: 'one' });
    expect(second[0]?.detail).toBe('one');
    first[0]!.detail = 'changed by a listener';
    expect(status.current.detail).toBe('one');
    unsubscribe();
    status.set({ detail: 'two' });
    expect(first).toHaveLength(1);
    expect(second.map((s) => s.state)).toEqual(['stopped', 'stopped']);
    expect(second[1]?.detail).toBe('two');
    status.removeListeners();
    status.set({ detail: 'three' });
    expect(second).toHaveLength(2);
  });

  it('waits for ready, and throws the failure or the stop that came instead', async () => {
    const ready = board('starting').status;
    const waiting = ready.waitForOutcome();
    ready.moveTo('ready', {});
    await expect(waiting).resolves.toBeUndefined();

    const failing = board('starting').status;
    const failed = failing.waitForOutcome();
    failing.moveTo('fail', { error: { message: 'QEMU exited', hint: 'Read the log.', exitCode: 1, signal: null, consoleTail: [], at: 0 } });
    await expect(failed).rejects.toMatchObject({ code: 'vm-failed', message: 'QEMU exited', hint: 'Read the log.' });

    const stopping = board('starting').status;
    const stopped = stopping.waitForOutcome();
    stopping.moveTo('stop', {});
    stopping.moveTo('stopped', {});
    await expect(stopped).rejects.toThrow(/stopped before it became ready/);
  });

  it('gives up waiting after the timeout, saying what the builder was doing', async () => {
    vi.useFakeTimers();
    try {
      const { status } = board('starting');
      status.set({ detail: 'waiting for ssh' });
      const waiting = status.waitForOutcome(30_000).catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(30_000);
      const error = (await waiting) as BuilderBarError;
      expect(error).toBeInstanceOf(BuilderBarError);
      expect(error.code).toBe('timeout');
      expect(error.message).toBe('The builder was not ready within 30 s (waiting for ssh).');
      expect(status.current.state).toBe('starting');
    } finally {
      vi.useRealTimers();
    }
  });
});

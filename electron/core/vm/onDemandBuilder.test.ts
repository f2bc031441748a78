import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Settings, Status, VmState } from '../../ipc/contract.js';
import { initialStatus } from '../../ipc/initialStatus.js';
import { defaultSettings } from '../settings/defaults.js';
import { OnDemandBuilder } from './onDemandBuilder.js';

/**
 * The supervisor's rules that matter here, kept: a start while starting joins it, a start while
 * stopping is refused as busy, a stop while stopping joins it. The test moves it to ready or
 * stopped when it says so.
 */
class FakeSupervisor {
  current: Status = { ...initialStatus('linux-test', 0), state: 'stopped' };
  boots = 0;
  stops = 0;
  private readonly listeners = new Set<(status: Status) => void>();
  private readyWaiters: Array<() => void> = [];
  private stopped: (() => void) | null = null;
  private stopping: Promise<Status> | null = null;

  status(): Status {
    return this.current;
  }
  onStatus(listener: (status: Status) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  move(state: VmState): void {
    this.current = { ...this.current, state, sshPort: state === 'ready' ? 31022 : null };
    for (const listener of this.listeners) listener(this.current);
    // A start with `wait` resolves on its outcome: ready or an error.
    if (state === 'ready' || state === 'error') for (const waiter of this.readyWaiters.splice(0)) waiter();
    if (state === 'stopped') this.stopped?.();
  }
  async start(options: { wait?: boolean } = {}): Promise<Status> {
    if (this.current.state === 'stopping') throw new Error('busy');
    if (this.current.state === 'stopped') {
      this.boots += 1;
      this.move('starting');
    }
    if (options.wait && this.current.state !== 'ready') await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
    return this.current;
  }
  stop(): Promise<Status> {
    if (this.stopping) return this.stopping;
    this.stops += 1;
    this.move('stopping');
    this.stopping = new Promise<Status>((resolve) => {
      this.stopped = () => {
        this.stopping = null;
        resolve(this.current);
      };
    });
    return this.stopping;
  }
}

const T0 = 1_700_000_000_000;
let now = T0;
let supervisor: FakeSupervisor;
let settings: Settings;
let builds: number;
let changes: number;
let builder: OnDemandBuilder;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  now = T0;
  supervisor = new FakeSupervisor();
  settings = { ...defaultSettings('linux'), onDemand: true, idleStopMinutes: 30 };
  builds = 0;
  changes = 0;
  builder = new OnDemandBuilder({
    supervisor,
    settings: () => settings,
    runningBuilds: () => builds,
    logs: { append: () => undefined },
    onChange: () => (changes += 1),
    now: () => now,
  });
});

afterEach(() => {
  builder.close();
  vi.useRealTimers();
});

/** Moves the clock and runs the timers that came due. */
function advance(ms: number): void {
  now += ms;
  vi.advanceTimersByTime(ms);
}

describe('OnDemandBuilder', () => {
  it('three connections at once start one builder, and each gets the port once it is ready', async () => {
    const holds = [builder.hold(), builder.hold(), builder.hold()];
    await Promise.resolve();
    supervisor.move('ready');
    const leases = await Promise.all(holds);
    expect(supervisor.boots).toBe(1);
    expect(leases.map((lease) => lease.sshPort)).toEqual([31022, 31022, 31022]);
    expect(builder.decorate(supervisor.status()).onDemand).toMatchObject({ connections: 3, idleStopsAt: null });
  });

  it('stops the builder idleStopMinutes after the last connection ended, never while one is held', async () => {
    supervisor.move('ready');
    const lease = await builder.hold();
    advance(60 * 60_000);
    expect(supervisor.stops).toBe(0);
    lease.release();
    lease.release(); // idempotent: one connection ended once
    expect(builder.decorate(supervisor.status()).onDemand).toEqual({ connections: 0, builds: 0, idleStopsAt: now + 30 * 60_000 });
    advance(30 * 60_000 - 1);
    expect(supervisor.stops).toBe(0);
    advance(1);
    expect(supervisor.stops).toBe(1);
    expect(supervisor.current.state).toBe('stopping');
  });

  it('a running build counts as use', () => {
    supervisor.move('ready');
    builds = 1;
    builder.replan();
    advance(2 * 60 * 60_000);
    expect(supervisor.stops).toBe(0);
    builds = 0;
    builder.replan();
    advance(30 * 60_000);
    expect(supervisor.stops).toBe(1);
  });

  it('a connection that arrives while the builder stops waits for the stop, then starts it again', async () => {
    supervisor.move('ready');
    advance(30 * 60_000);
    expect(supervisor.current.state).toBe('stopping');
    const hold = builder.hold();
    await Promise.resolve();
    supervisor.move('stopped');
    await vi.waitFor(() => expect(supervisor.current.state).toBe('starting'));
    supervisor.move('ready');
    expect((await hold).sshPort).toBe(31022);
    expect(supervisor.boots).toBe(1);
  });

  it('fails a connection whose start fails, and releases its hold', async () => {
    const hold = builder.hold();
    await Promise.resolve();
    supervisor.move('error');
    await expect(hold).rejects.toThrow(/the builder is error/);
    expect(builder.decorate(supervisor.status()).onDemand?.connections).toBe(0);
  });

  it('with on demand off: no idle stop, and the status carries nothing of it', () => {
    settings = { ...settings, onDemand: false };
    supervisor.move('ready');
    advance(24 * 60 * 60_000);
    expect(supervisor.stops).toBe(0);
    expect(builder.decorate(supervisor.status()).onDemand).toBeUndefined();
  });

  it('announces a change of what it adds to the status', async () => {
    supervisor.move('ready');
    const before = changes;
    const lease = await builder.hold();
    expect(changes).toBeGreaterThan(before);
    lease.release();
  });
});

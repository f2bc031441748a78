/**
 * The on-demand builder: Nix's ssh connections (through `builder-bar proxy`) hold it, the first
 * one starts it, and when nothing has held it for `idleStopMinutes` it is stopped through the
 * supervisor's ordinary stop, which gives QEMU's memory back. When to stop is idleStop.ts's
 * pure rule; this file only keeps the counts and one timer.
 *
 * Several connections at once start one builder: the supervisor joins a start to the one in
 * progress. A connection that arrives while the builder stops waits for the stop to finish, then
 * starts it again. Only one core runs per state dir (doors/instanceLock.ts), so two cores never
 * race for one start.
 */
import type { OnDemandStatus, Settings, Status } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from '../logs/logSink.js';
import type { SupervisorPort } from '../supervisorWiring.js';
import { planIdleStop, type IdlePlan } from './idleStop.js';

export interface BuilderLease {
  /** The builder's ssh port on 127.0.0.1. */
  sshPort: number;
  /** Ends this hold (idempotent); the idle clock starts again from now. */
  release(): void;
}

export interface OnDemandDeps {
  supervisor: Pick<SupervisorPort, 'status' | 'onStatus' | 'start' | 'stop'>;
  settings: () => Settings;
  /** Builds the core runs or sees running now. */
  runningBuilds: () => number;
  logs: LogSink;
  /** Called whenever what `decorate` adds changed, so the doors get a fresh status. */
  onChange: () => void;
  now?: () => number;
}

/** A start interrupted by a stop (idle stop, the user) is tried again this many times. */
const START_ATTEMPTS = 3;

export class OnDemandBuilder {
  private connections = 0;
  private lastActiveAt: number;
  private timer: NodeJS.Timeout | null = null;
  private plan: IdlePlan = { kind: 'keep', why: 'off' };
  private readonly now: () => number;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly deps: OnDemandDeps) {
    this.now = deps.now ?? Date.now;
    this.lastActiveAt = this.now();
    let lastState = deps.supervisor.status().state;
    this.unsubscribe = deps.supervisor.onStatus((status) => {
      // Becoming ready counts as use: a builder someone just started gets its full idle time.
      if (status.state === 'ready' && lastState !== 'ready') this.lastActiveAt = this.now();
      lastState = status.state;
      this.replan();
    });
    this.replan();
  }

  /** Starts the builder when needed, waits until it is ready, and holds it until released. */
  async hold(): Promise<BuilderLease> {
    this.connections += 1;
    this.lastActiveAt = this.now();
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.connections -= 1;
      this.lastActiveAt = this.now();
      this.replan();
    };
    this.replan();
    try {
      return { sshPort: await this.ready(), release };
    } catch (error) {
      release();
      throw error;
    }
  }

  private async ready(): Promise<number> {
    const { supervisor } = this.deps;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt += 1) {
      const current = supervisor.status();
      if (current.state === 'ready' && current.sshPort !== null) return current.sshPort;
      // A stop in progress (the idle stop, say) cannot be joined by a start: wait for it to end.
      if (current.state === 'stopping') {
        await supervisor.stop({});
        continue;
      }
      if (current.state === 'stopped' && this.deps.settings().onDemand) {
        this.deps.logs.append('app', 'info', 'Starting the builder on demand: an ssh connection through the wiring needs it.');
      }
      const status = await supervisor.start({ wait: true });
      if (status.state === 'ready' && status.sshPort !== null) return status.sshPort;
      if (status.state === 'stopping' || status.state === 'stopped') continue;
      throw new BuilderBarError('vm-failed', status.error?.message ?? `the builder is ${status.state}`, status.error?.hint ?? null);
    }
    throw new BuilderBarError('vm-failed', `the builder was stopped ${START_ATTEMPTS} times while a connection waited for it`, 'Try the build again.');
  }

  /** Anything that may change the plan calls this: a hold, a release, a status, a build, a setting. */
  replan(): void {
    if (this.closed) return;
    const settings = this.deps.settings();
    const builds = this.deps.runningBuilds();
    if (builds > 0) this.lastActiveAt = this.now();
    const before = JSON.stringify(this.view());
    this.plan = planIdleStop({
      onDemand: settings.onDemand,
      idleStopMinutes: settings.idleStopMinutes,
      state: this.deps.supervisor.status().state,
      connections: this.connections,
      builds,
      lastActiveAt: this.lastActiveAt,
      now: this.now(),
    });
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.plan.kind === 'wait') {
      this.timer = setTimeout(() => this.replan(), Math.max(0, this.plan.stopsAt - this.now()));
      this.timer.unref();
    } else if (this.plan.kind === 'stop') {
      this.deps.logs.append('app', 'info', `The builder had no build and no ssh session for ${settings.idleStopMinutes} min: stopping it until a build needs it.`);
      this.deps.supervisor.stop({}).catch((error: unknown) => {
        this.deps.logs.append('app', 'error', `Stopping the idle builder failed: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
    if (JSON.stringify(this.view()) !== before) this.deps.onChange();
  }

  private view(): OnDemandStatus {
    return {
      connections: this.connections,
      builds: this.deps.runningBuilds(),
      idleStopsAt: this.plan.kind === 'wait' ? this.plan.stopsAt : null,
    };
  }

  /** ssh sessions open through `builder-bar proxy` now (Nix building, or anyone on the alias). */
  sessions(): number {
    return this.connections;
  }

  /** The supervisor's status with what on-demand adds, when the setting is on. */
  decorate(status: Status): Status {
    return this.deps.settings().onDemand ? { ...status, onDemand: this.view() } : status;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe();
  }
}

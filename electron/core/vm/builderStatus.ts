/**
 * The builder's status and who hears of it. The state changes only through the state machine
 * (vmStateMachine.ts): `check` asks whether an event may happen now, `moveTo` makes it happen
 * together with whatever else changed, and `set` changes the other fields. Every change reaches
 * the listeners as a copy, so nobody outside can change the status by holding on to it.
 *
 * Kept apart from the supervisor so that what the user sees has one keeper, and the supervisor
 * is left with deciding what happens.
 */
import type { Status, VmState } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from '../logs/logSink.js';
import { transition, type VmEvent } from './vmStateMachine.js';

/** The states a start waits for: it either got there, failed or was stopped. */
const outcomes: readonly VmState[] = ['ready', 'error', 'stopped'];

export class BuilderStatus {
  private value: Status;
  private readonly listeners = new Set<(status: Status) => void>();

  constructor(
    initial: Status,
    private readonly now: () => number,
    private readonly logs: LogSink,
  ) {
    this.value = initial;
  }

  /** The status as it is now, for reading only. */
  get current(): Readonly<Status> {
    return this.value;
  }

  /** A copy the caller may keep. */
  snapshot(): Status {
    return structuredClone(this.value);
  }

  onChange(listener: (status: Status) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  removeListeners(): void {
    this.listeners.clear();
  }

  /** What the state machine says about an event right now; refusals become `BuilderBarError`s. */
  check(event: VmEvent): 'move' | 'stay' {
    const step = transition(this.value.state, event);
    if (step.kind === 'refuse') {
      throw new BuilderBarError(step.code === 'busy' ? 'busy' : 'internal', step.reason, step.code === 'busy' ? 'Wait until it has stopped, then start it.' : null);
    }
    return step.kind;
  }

  /** Makes the event happen; an event the state machine refuses here is a bug in the caller. */
  moveTo(event: VmEvent, patch: Partial<Status>): void {
    const step = transition(this.value.state, event);
    if (step.kind === 'refuse') throw new BuilderBarError('internal', `Supervisor bug: ${step.reason}.`, null);
    if (step.kind === 'stay') {
      this.set(patch);
      return;
    }
    if (step.to !== this.value.state) {
      this.logs.append('app', 'debug', `Builder state: ${this.value.state} -> ${step.to} (${event}).`);
    }
    this.set({ ...patch, state: step.to, since: this.now() });
  }

  set(patch: Partial<Status>): void {
    this.value = { ...this.value, ...patch };
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(snapshot);
  }

  /**
   * Waits until the builder is ready, and throws what kept it from getting there: the failure,
   * a stop, or `timeoutMs` passing (the boot itself goes on).
   */
  async waitForOutcome(timeoutMs?: number): Promise<void> {
    const outcome = new Promise<void>((resolve) => {
      if (outcomes.includes(this.value.state)) {
        resolve();
        return;
      }
      const unsubscribe = this.onChange((status) => {
        if (outcomes.includes(status.state)) {
          unsubscribe();
          resolve();
        }
      });
    });
    if (timeoutMs !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        outcome.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        throw new BuilderBarError(
          'timeout',
          `The builder was not ready within ${Math.round(timeoutMs / 1000)} s (${this.value.detail}).`,
          'It keeps starting in the background; check its status again shortly.',
        );
      }
    } else {
      await outcome;
    }
    const state = this.value.state;
    if (state === 'error') {
      throw new BuilderBarError('vm-failed', this.value.error?.message ?? 'The builder failed to start.', this.value.error?.hint ?? null);
    }
    if (state === 'stopped') throw new BuilderBarError('vm-failed', 'The builder was stopped before it became ready.', null);
  }
}

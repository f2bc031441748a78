/**
 * When an on-demand builder is idle long enough to stop: a pure function of what the core knows,
 * so the rule is tested without a clock or a VM. "In use" is what passes through the core: the
 * ssh sessions `builder-bar proxy` holds (every ssh through the wiring's alias, Nix's included)
 * and the builds the core runs itself. An ssh session that bypasses the alias (ssh straight to
 * the forwarded port) is not seen; the README says so.
 */
import type { VmState } from '../../ipc/contract.js';

export interface IdleInput {
  onDemand: boolean;
  idleStopMinutes: number;
  state: VmState;
  connections: number;
  builds: number;
  /** The last moment the builder was in use or became ready (ms since the epoch). */
  lastActiveAt: number;
  now: number;
}

export type IdlePlan =
  /** Nothing to do: on-demand is off, the builder is not ready, or it is in use. */
  | { kind: 'keep'; why: 'off' | 'not-ready' | 'in-use' }
  /** Ready and idle: stop at `stopsAt` unless something uses it first. */
  | { kind: 'wait'; stopsAt: number }
  | { kind: 'stop' };

export function planIdleStop(input: IdleInput): IdlePlan {
  if (!input.onDemand) return { kind: 'keep', why: 'off' };
  if (input.state !== 'ready') return { kind: 'keep', why: 'not-ready' };
  if (input.connections > 0 || input.builds > 0) return { kind: 'keep', why: 'in-use' };
  const stopsAt = input.lastActiveAt + input.idleStopMinutes * 60_000;
  return input.now >= stopsAt ? { kind: 'stop' } : { kind: 'wait', stopsAt };
}

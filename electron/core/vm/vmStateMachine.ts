/**
 * The builder's lifecycle as a pure function: given the state and what happened, the next
 * state, a no-op, or a refusal with its reason. Only the supervisor calls it, and it never moves
 * the state any other way, so every transition the app can make is listed (and tested) here.
 *
 *   stopped -> starting -> ready -> stopping -> stopped, and error from any state.
 *
 * One operation at a time: a start while a stop is in flight is refused as `busy` (never
 * queued, never interleaved), so a click is answered at once and the user can click again;
 * stop and force-stop are accepted from every state, `starting` included.
 */
import type { VmState } from '../../ipc/contract.js';

export type VmEvent =
  /** The user (or start-on-launch) asks for a start. */
  | 'start'
  /** The restart policy starts the builder again after an exit nobody asked for. */
  | 'auto-restart'
  /** `recover()` found a live QEMU from an earlier core and checks it again. */
  | 'adopt'
  /** Every readiness probe passed. */
  | 'ready'
  /** Repeated failed health probes while QEMU still runs: check readiness again. */
  | 'lost'
  /** The user asks for a stop (graceful or forced). */
  | 'stop'
  /** QEMU is gone after a stop. */
  | 'stopped'
  /** Something failed: boot, readiness, an unplanned exit, or the stop itself. */
  | 'fail';

export type Transition =
  | { kind: 'move'; to: VmState }
  /** Already there or already on the way: answer with the current status. */
  | { kind: 'stay' }
  | { kind: 'refuse'; code: 'busy' | 'invalid'; reason: string };

const move = (to: VmState): Transition => ({ kind: 'move', to });
const stay: Transition = { kind: 'stay' };
const invalid = (state: VmState, event: VmEvent): Transition => ({
  kind: 'refuse',
  code: 'invalid',
  reason: `"${event}" cannot happen while the builder is ${state}`,
});

const table: Record<VmState, Partial<Record<VmEvent, Transition>>> = {
  stopped: { start: move('starting'), adopt: move('starting'), stop: stay, fail: move('error') },
  starting: { start: stay, ready: move('ready'), stop: move('stopping'), fail: move('error') },
  ready: { start: stay, lost: move('starting'), stop: move('stopping'), fail: move('error') },
  stopping: {
    start: { kind: 'refuse', code: 'busy', reason: 'The builder is stopping; start it again once it has stopped.' },
    stop: stay,
    stopped: move('stopped'),
    fail: move('error'),
  },
  error: { start: move('starting'), 'auto-restart': move('starting'), stop: move('stopping'), fail: move('error') },
};

export function transition(state: VmState, event: VmEvent): Transition {
  return table[state][event] ?? invalid(state, event);
}

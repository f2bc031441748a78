import { describe, expect, it } from 'vitest';
import type { VmState } from '../../ipc/contract.js';
import { transition, type VmEvent } from './vmStateMachine.js';

const states: VmState[] = ['stopped', 'starting', 'ready', 'stopping', 'error'];
const events: VmEvent[] = ['start', 'auto-restart', 'adopt', 'ready', 'lost', 'stop', 'stopped', 'fail'];

/** Every pair, written out: a state name means "move there", `stay` a no-op, `busy`/`invalid` a refusal. */
const expected: Record<VmState, Record<VmEvent, VmState | 'stay' | 'busy' | 'invalid'>> = {
  stopped: { start: 'starting', 'auto-restart': 'invalid', adopt: 'starting', ready: 'invalid', lost: 'invalid', stop: 'stay', stopped: 'invalid', fail: 'error' },
  starting: { start: 'stay', 'auto-restart': 'invalid', adopt: 'invalid', ready: 'ready', lost: 'invalid', stop: 'stopping', stopped: 'invalid', fail: 'error' },
  ready: { start: 'stay', 'auto-restart': 'invalid', adopt: 'invalid', ready: 'invalid', lost: 'starting', stop: 'stopping', stopped: 'invalid', fail: 'error' },
  stopping: { start: 'busy', 'auto-restart': 'invalid', adopt: 'invalid', ready: 'invalid', lost: 'invalid', stop: 'stay', stopped: 'stopped', fail: 'error' },
  error: { start: 'starting', 'auto-restart': 'starting', adopt: 'invalid', ready: 'invalid', lost: 'invalid', stop: 'stopping', stopped: 'invalid', fail: 'error' },
};

describe('the builder state machine', () => {
  for (const state of states) {
    for (const event of events) {
      const want = expected[state][event];
      it(`${state} + ${event} -> ${want}`, () => {
        const got = transition(state, event);
        if (want === 'stay') expect(got).toEqual({ kind: 'stay' });
        else if (want === 'busy' || want === 'invalid') {
          expect(got.kind).toBe('refuse');
          if (got.kind === 'refuse') {
            expect(got.code).toBe(want);
            expect(got.reason.length).toBeGreaterThan(10);
          }
        } else expect(got).toEqual({ kind: 'move', to: want });
      });
    }
  }

  it('walks the whole lifecycle stopped -> starting -> ready -> stopping -> stopped', () => {
    let state: VmState = 'stopped';
    for (const event of ['start', 'ready', 'stop', 'stopped'] as VmEvent[]) {
      const step = transition(state, event);
      if (step.kind !== 'move') throw new Error(`${state} + ${event} did not move`);
      state = step.to;
    }
    expect(state).toBe('stopped');
  });

  it('reaches error from every state, and stop works from every state', () => {
    for (const state of states) {
      expect(transition(state, 'fail')).toEqual({ kind: 'move', to: 'error' });
      expect(['move', 'stay']).toContain(transition(state, 'stop').kind);
    }
  });

  it('tells the user why a start during a stop is refused', () => {
    const step = transition('stopping', 'start');
    expect(step).toMatchObject({ kind: 'refuse', code: 'busy' });
    if (step.kind === 'refuse') expect(step.reason).toMatch(/stopping/);
  });
});

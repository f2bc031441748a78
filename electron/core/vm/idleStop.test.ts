import { describe, expect, it } from 'vitest';
import { planIdleStop, type IdleInput } from './idleStop.js';
import { idleStopLabel } from '../../ipc/describeOnDemand.js';

const base: IdleInput = { onDemand: true, idleStopMinutes: 30, state: 'ready', connections: 0, builds: 0, lastActiveAt: 1_000_000, now: 1_000_000 };

describe('planIdleStop', () => {
  it('waits idleStopMinutes from the last use, then stops', () => {
    expect(planIdleStop(base)).toEqual({ kind: 'wait', stopsAt: 1_000_000 + 30 * 60_000 });
    expect(planIdleStop({ ...base, now: 1_000_000 + 30 * 60_000 - 1 })).toEqual({ kind: 'wait', stopsAt: 1_000_000 + 30 * 60_000 });
    expect(planIdleStop({ ...base, now: 1_000_000 + 30 * 60_000 })).toEqual({ kind: 'stop' });
  });

  it('keeps a builder that an ssh session or a build uses, however long ago it was last idle', () => {
    const late = { ...base, now: base.now + 10 * 60 * 60_000 };
    expect(planIdleStop({ ...late, connections: 1 })).toEqual({ kind: 'keep', why: 'in-use' });
    expect(planIdleStop({ ...late, builds: 2 })).toEqual({ kind: 'keep', why: 'in-use' });
  });

  it('never stops with on demand off, nor a builder that is not ready', () => {
    const late = { ...base, now: base.now + 10 * 60 * 60_000 };
    expect(planIdleStop({ ...late, onDemand: false })).toEqual({ kind: 'keep', why: 'off' });
    for (const state of ['stopped', 'starting', 'stopping', 'error'] as const) {
      expect(planIdleStop({ ...late, state })).toEqual({ kind: 'keep', why: 'not-ready' });
    }
  });

  it('honours the setting: 1 minute', () => {
    expect(planIdleStop({ ...base, idleStopMinutes: 1, now: base.now + 60_000 })).toEqual({ kind: 'stop' });
  });
});

describe('idleStopLabel', () => {
  it('rounds up to whole minutes and never says 0', () => {
    expect(idleStopLabel(3 * 60_000, 0)).toBe('idle, stops in 3 min');
    expect(idleStopLabel(2 * 60_000 + 1, 0)).toBe('idle, stops in 3 min');
    expect(idleStopLabel(10, 0)).toBe('idle, stops in 1 min');
    expect(idleStopLabel(0, 5)).toBe('idle, stops in 1 min');
  });
});

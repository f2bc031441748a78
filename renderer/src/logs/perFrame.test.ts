import { describe, expect, it } from 'vitest';
import { perFrame, type FrameScheduler } from './perFrame.js';

/** A store of one number and a frame clock the test advances by hand. */
function setup() {
  let state = { logs: 0, other: 0 };
  const listeners = new Set<(next: typeof state, previous: typeof state) => void>();
  const set = (patch: Partial<typeof state>) => {
    const previous = state;
    state = { ...state, ...patch };
    for (const listener of listeners) listener(state, previous);
  };
  const queued = new Map<number, () => void>();
  let next = 1;
  const frames: FrameScheduler = {
    request: (callback) => {
      queued.set(next, callback);
      return next++;
    },
    cancel: (handle) => queued.delete(handle),
  };
  const frame = () => {
    const due = [...queued.values()];
    queued.clear();
    for (const callback of due) callback();
  };
  const applied: number[] = [];
  const stop = perFrame<typeof state>(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    (now, before) => now.logs !== before.logs,
    frames,
    () => applied.push(state.logs),
  );
  return { set, frame, applied, stop, queued, listeners };
}

describe('perFrame', () => {
  it('applies several changes within one frame once, with the latest state', () => {
    const { set, frame, applied } = setup();
    set({ logs: 1 });
    set({ logs: 2 });
    set({ logs: 3 });
    expect(applied).toEqual([]);
    frame();
    expect(applied).toEqual([3]);
    frame();
    expect(applied).toEqual([3]);
    set({ logs: 4 });
    frame();
    expect(applied).toEqual([3, 4]);
  });

  it('asks for no frame when the slice did not change', () => {
    const { set, queued } = setup();
    set({ other: 1 });
    expect(queued.size).toBe(0);
  });

  it('drops a pending frame and stops listening once stopped', () => {
    const { set, frame, applied, stop, queued, listeners } = setup();
    set({ logs: 1 });
    stop();
    expect(queued.size).toBe(0);
    expect(listeners.size).toBe(0);
    frame();
    expect(applied).toEqual([]);
  });
});

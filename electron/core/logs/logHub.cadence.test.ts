import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogHub } from './logHub.js';

describe('LogHub batch cadence', () => {
  afterEach(() => vi.useRealTimers());

  it('sends a line after a quiet spell at once, and the next batch one interval after the last went out', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const hub = new LogHub({ ringLines: 100, logDir: null, batchMs: 16 });
    const sentAt: number[] = [];
    hub.subscribe(() => sentAt.push(performance.now()));
    const start = performance.now();
    hub.append('app', 'info', 'first');
    vi.advanceTimersByTime(0);
    expect(sentAt.map((at) => at - start)).toEqual([0]);
    // The next line arrives 10 ms later, as a flood's lines do while a batch is being sent: it
    // waits out the rest of the interval (6 ms), not a whole new one (which would be 26 ms).
    vi.advanceTimersByTime(10);
    hub.append('app', 'info', 'second');
    vi.advanceTimersByTime(6);
    expect(sentAt.map((at) => at - start)).toEqual([0, 16]);
    // Lines appended together still go out together.
    hub.append('app', 'info', 'third');
    hub.append('app', 'info', 'fourth');
    vi.advanceTimersByTime(16);
    expect(sentAt.map((at) => at - start)).toEqual([0, 16, 32]);
  });
});

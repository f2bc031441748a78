import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogLine } from '../../ipc/contract.js';
import { LogBackpressure } from './logBackpressure.js';

const lines = (from: number, count: number): LogLine[] =>
  Array.from({ length: count }, (_, i) => ({ seq: from + i, time: 0, source: 'app', level: 'info', text: `line ${from + i}` }));

describe('LogBackpressure', () => {
  afterEach(() => vi.useRealTimers());

  it('sends at once while the client keeps up', () => {
    const sent: number[][] = [];
    const pacing = new LogBackpressure({ bufferedAmount: 0 }, (batch) => sent.push(batch.map((l) => l.seq)));
    pacing.offer(lines(0, 3));
    pacing.offer(lines(3, 2));
    expect(sent).toEqual([[0, 1, 2], [3, 4]]);
  });

  it('holds lines while the socket is congested, bounded, and sends them in order once it drains', () => {
    vi.useFakeTimers();
    const socket = { bufferedAmount: 5_000_000 };
    const sent: LogLine[][] = [];
    const pacing = new LogBackpressure(socket, (batch) => sent.push(batch), { highWaterBytes: 1_000_000, maxHeldLines: 100, pollMs: 10 });
    for (let batch = 0; batch < 10; batch += 1) pacing.offer(lines(batch * 50, 50));
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([]);
    socket.bufferedAmount = 0;
    vi.advanceTimersByTime(10);
    expect(sent).toHaveLength(1);
    // The newest 100 of 500 lines; the 400 let go are counted (the window sees the seq gap).
    expect(sent[0]!.map((l) => l.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 400 + i));
    expect(pacing.dropped).toBe(400);
    // Once drained, lines flow directly again.
    pacing.offer(lines(500, 1));
    expect(sent[1]!.map((l) => l.seq)).toEqual([500]);
  });

  it('keeps order: a batch offered while lines are held waits behind them', () => {
    vi.useFakeTimers();
    const socket = { bufferedAmount: 2_000_000 };
    const sent: number[] = [];
    const pacing = new LogBackpressure(socket, (batch) => sent.push(...batch.map((l) => l.seq)), { pollMs: 5 });
    pacing.offer(lines(0, 2));
    socket.bufferedAmount = 0;
    pacing.offer(lines(2, 2));
    vi.advanceTimersByTime(5);
    expect(sent).toEqual([0, 1, 2, 3]);
    pacing.close();
  });
});

/**
 * Feeds the core's real log hub for the log-view benchmark: either as fast as the hub takes
 * lines (it delivers batches about 60 times a second and drops from an overfull batch, so the
 * feeder keeps at most one batch's worth undelivered), or at a fixed rate.
 */
import type { LogHub } from '../core/logs/logHub.js';
import { linesDue } from './logViewPacing.js';

export interface FeedResult {
  appended: number;
  /** Lines the hub dropped from subscriber batches during the feed (0 when it kept up). */
  droppedFromBatches: number;
  ms: number;
}

/** Lines as a real build's output arrives: several per append, as a pipe's chunks do. */
export const linesPerAppend = 250;
/**
 * The most undelivered lines the next append may start from: with it, at most 9,999 wait, just
 * below the hub's per-batch cap (10,000), so "as fast as it takes them" drops nothing and is the
 * hub's whole capacity.
 */
const undeliveredLimit = 10_000 - linesPerAppend;

/**
 * `appendAt(k)`: the text of the k-th append (lines `k * linesPerAppend` onwards), built before
 * the clock starts (preparedRun), as a build's output exists before it reaches the hub.
 */
export async function feedAsFastAsTaken(hub: LogHub, count: number, appendAt: (k: number) => string): Promise<FeedResult> {
  let delivered = 0;
  let wake: (() => void) | null = null;
  const unsubscribe = hub.subscribe((lines) => {
    delivered += lines.length;
    wake?.();
  });
  const droppedBefore = hub.droppedFromBatches;
  const started = performance.now();
  let appended = 0;
  try {
    while (appended < count) {
      if (appended - delivered >= undeliveredLimit) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      hub.append('app', 'info', appendAt(appended / linesPerAppend));
      appended = Math.min(count, appended + linesPerAppend);
      // Let the hub's batch timer and the door's socket run between appends.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await hub.flush();
  } finally {
    unsubscribe();
  }
  return { appended, droppedFromBatches: hub.droppedFromBatches - droppedBefore, ms: performance.now() - started };
}

export async function feedAtRate(hub: LogHub, count: number, ratePerSecond: number, lineAt: (i: number) => string, tickMs = 10): Promise<FeedResult> {
  const droppedBefore = hub.droppedFromBatches;
  const started = performance.now();
  let appended = 0;
  while (appended < count) {
    const due = linesDue(ratePerSecond, performance.now() - started, appended, count);
    if (due > 0) {
      hub.append('app', 'info', chunk(lineAt, appended, appended + due));
      appended += due;
    }
    if (appended < count) await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  await hub.flush();
  return { appended, droppedFromBatches: hub.droppedFromBatches - droppedBefore, ms: performance.now() - started };
}

/** A run's appends for `feedAsFastAsTaken`, each `linesPerAppend` lines. */
export function preparedRun(count: number, lineAt: (i: number) => string): string[] {
  const appends: string[] = [];
  for (let from = 0; from < count; from += linesPerAppend) appends.push(chunk(lineAt, from, Math.min(count, from + linesPerAppend)));
  return appends;
}

function chunk(lineAt: (i: number) => string, from: number, to: number): string {
  const lines: string[] = [];
  for (let i = from; i < to; i += 1) lines.push(lineAt(i));
  return lines.join('\n');
}

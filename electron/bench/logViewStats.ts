/** Summaries of the log-view benchmark's samples: frame-time percentiles, throughput. */

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export interface FrameSummary {
  frames: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /**
   * Frames that took at least one refresh longer than they should (over 1.5 refresh intervals
   * of 60 Hz): the frames a user sees drop. An on-time frame reads 16.66-16.67 ms on the
   * benchmark's cross-origin isolated pages (rAF times to 5 µs); elsewhere Chromium rounds them
   * to 0.1 ms and it reads 16.6-16.8.
   */
  missed: number;
}

/** 1.5 refresh intervals at 60 Hz: a frame longer than this skipped at least one refresh. */
export const MISSED_FRAME_MS = 25;

/** requestAnimationFrame deltas (ms) summed up. */
export function summarizeFrames(deltasMs: readonly number[]): FrameSummary {
  return {
    frames: deltasMs.length,
    missed: deltasMs.filter((delta) => delta > MISSED_FRAME_MS).length,
    p50Ms: percentile(deltasMs, 50),
    p95Ms: percentile(deltasMs, 95),
    maxMs: deltasMs.length === 0 ? Number.NaN : Math.max(...deltasMs),
  };
}

export interface Throughput {
  linesPerSecond: number;
  /** 10^6 bytes per second, as xterm.js quotes its figure. */
  megabytesPerSecond: number;
}

export function throughput(lines: number, bytes: number, ms: number): Throughput {
  if (!(ms > 0)) throw new RangeError(`elapsed time must be positive, got ${ms}`);
  return { linesPerSecond: (lines * 1000) / ms, megabytesPerSecond: bytes / 1000 / ms };
}

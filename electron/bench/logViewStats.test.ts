import { describe, expect, it } from 'vitest';
import { percentile, summarizeFrames, throughput } from './logViewStats.js';

describe('percentile', () => {
  it('takes the nearest rank of the sorted values, whatever their order', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(10);
  });

  it('finds the one slow frame among twenty at p95 but not at p90', () => {
    const frames = [...Array.from({ length: 19 }, () => 16.7), 120];
    expect(percentile(frames, 95)).toBe(16.7);
    expect(percentile([...frames, 130], 95)).toBe(120);
  });

  it('is NaN without values and refuses a percentile outside 0..100', () => {
    expect(percentile([], 95)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('does not reorder the caller’s array', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('summarizeFrames', () => {
  it('gives count, p50, p95, max and the frames that missed a refresh', () => {
    expect(summarizeFrames([16, 17, 16, 50])).toEqual({ frames: 4, p50Ms: 16, p95Ms: 50, maxMs: 50, missed: 1 });
  });

  it('counts a frame of 16.8 ms as on time and one of two refreshes as missed', () => {
    expect(summarizeFrames([16.6, 16.8, 16.7, 33.4, 25]).missed).toBe(1);
  });
});

describe('throughput', () => {
  it('turns lines, bytes and milliseconds into lines/s and MB/s', () => {
    expect(throughput(200_000, 25_000_000, 2000)).toEqual({ linesPerSecond: 100_000, megabytesPerSecond: 12.5 });
  });

  it('refuses a zero duration', () => {
    expect(() => throughput(1, 1, 0)).toThrow(RangeError);
  });
});

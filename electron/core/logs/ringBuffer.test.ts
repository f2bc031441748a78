import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ringBuffer.js';

describe('RingBuffer', () => {
  it('keeps the newest items up to its capacity and counts what it dropped', () => {
    const ring = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i += 1) ring.push(i);
    expect(ring.last()).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
    expect(ring.dropped).toBe(2);
  });

  it('returns the newest n items oldest first', () => {
    const ring = new RingBuffer<string>(10);
    ['a', 'b', 'c', 'd'].forEach((s) => ring.push(s));
    expect(ring.last(2)).toEqual(['c', 'd']);
    expect(ring.last(100)).toEqual(['a', 'b', 'c', 'd']);
    expect(ring.last(0)).toEqual([]);
  });

  it('shrinks to the newest items when resized', () => {
    const ring = new RingBuffer<number>(5);
    for (let i = 1; i <= 5; i += 1) ring.push(i);
    ring.resize(2);
    expect(ring.last()).toEqual([4, 5]);
    expect(ring.dropped).toBe(3);
    ring.push(6);
    expect(ring.last()).toEqual([5, 6]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(/positive integer/);
  });

  it('keeps its order across many pushes and drops, chunk after chunk', () => {
    const ring = new RingBuffer<number>(10_000);
    for (let i = 0; i < 25_000; i += 1) ring.push(i);
    expect(ring.size).toBe(10_000);
    expect(ring.last(3)).toEqual([24_997, 24_998, 24_999]);
    expect(ring.last()[0]).toBe(15_000);
    expect(ring.dropped).toBe(15_000);
  });

  it('weighs what it holds and drops the oldest items down to a weight, counting them', () => {
    const ring = new RingBuffer<string>(1000, (text) => text.length);
    for (const text of ['aaaa', 'bb', 'cccccc', 'd']) ring.push(text);
    expect(ring.bytes).toBe(13);
    expect(ring.trimToBytes(9)).toBe(1);
    expect(ring.last()).toEqual(['bb', 'cccccc', 'd']);
    expect(ring.bytes).toBe(9);
    expect(ring.trimToBytes(0)).toBe(3);
    expect(ring.size).toBe(0);
    expect(ring.bytes).toBe(0);
    expect(ring.dropped).toBe(4);
    ring.push('e');
    expect(ring.last()).toEqual(['e']);
    ring.resize(1);
    ring.push('ff');
    expect(ring.last()).toEqual(['ff']);
    expect(ring.bytes).toBe(2);
  });
});

/**
 * The window's log lines, ordered by `seq`, at most `cap` of them. A live batch (about 60 a
 * second, each newer than everything held) is appended in O(batch) whatever the number held,
 * and lines beyond the cap are let go from the front without copying the rest (see
 * FrontTrimmedList). Only a batch that overlaps or precedes what is held (the tail fetched
 * after a reconnect, racing the events) is merged by rebuilding the whole list, which is rare.
 *
 * Every line gets an absolute position: its index plus the number of lines let go from the
 * front since the last rebuild. Views built over the buffer (the Logs window's filter and
 * search) keep absolute positions, so lines trimmed at the front shift nothing they hold, and
 * `generation` tells them when a rebuild renumbered everything.
 *
 * The buffer is mutable and shared between store snapshots; the store hands out a new
 * `LogsSnapshot` per change so subscribers are still told (see mirror.ts).
 */
import type { LogLine } from '../api/contract.js';
import { FrontTrimmedList } from './frontTrimmedList.js';
import type { Indexed } from './indexed.js';

export class LogBuffer implements Indexed<LogLine> {
  private readonly lines = new FrontTrimmedList<LogLine>();
  private trimmedSinceRebuild = 0;
  private rebuilds = 0;

  constructor(readonly cap: number) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`log cap must be a positive integer, got ${cap}`);
  }

  get length(): number {
    return this.lines.length;
  }

  at(index: number): LogLine | undefined {
    return this.lines.at(index);
  }

  /** Bumped whenever the lines were renumbered (an out-of-order merge); views then start over. */
  get generation(): number {
    return this.rebuilds;
  }

  /** Absolute position of the first line held. */
  get firstPosition(): number {
    return this.trimmedSinceRebuild;
  }

  /** Absolute position just past the newest line held. */
  get endPosition(): number {
    return this.trimmedSinceRebuild + this.lines.length;
  }

  atPosition(position: number): LogLine | undefined {
    return this.lines.at(position - this.trimmedSinceRebuild);
  }

  /**
   * Adds `incoming` without duplicates, in `seq` order, then keeps the newest `cap`. Returns
   * whether anything changed. O(incoming) when it all comes after what is held.
   */
  merge(incoming: readonly LogLine[]): boolean {
    if (incoming.length === 0) return false;
    const newest = this.lines.at(this.lines.length - 1);
    if (isStrictlyAscending(incoming) && (newest === undefined || incoming[0]!.seq > newest.seq)) {
      // The common case, a live batch after what we hold. Of a batch larger than the cap only
      // its newest `cap` lines could stay; the rest is not even copied in.
      const skip = Math.max(0, incoming.length - this.cap);
      this.trim(this.lines.length + incoming.length - skip - this.cap);
      this.trimmedSinceRebuild += skip;
      this.lines.pushFrom(incoming, skip);
      return true;
    }
    this.rebuild(incoming);
    return true;
  }

  /** A copy of every line held, oldest first: O(length), for Copy/Save and tests. */
  toArray(): LogLine[] {
    return this.lines.toArray();
  }

  private trim(count: number): void {
    if (count <= 0) return;
    this.lines.dropFront(count);
    this.trimmedSinceRebuild += count;
  }

  private rebuild(incoming: readonly LogLine[]): void {
    const bySeq = new Map<number, LogLine>();
    for (const line of this.lines.toArray()) bySeq.set(line.seq, line);
    for (const line of incoming) bySeq.set(line.seq, line);
    const merged = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    const skip = Math.max(0, merged.length - this.cap);
    this.lines.clear();
    this.lines.pushFrom(merged, skip);
    this.trimmedSinceRebuild = 0;
    this.rebuilds += 1;
  }
}

function isStrictlyAscending(lines: readonly LogLine[]): boolean {
  for (let i = 1; i < lines.length; i += 1) {
    if (lines[i]!.seq <= lines[i - 1]!.seq) return false;
  }
  return true;
}

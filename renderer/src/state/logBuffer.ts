/**
 * The window's log lines, ordered by `seq`, at most `cap` of them. A live batch (about 60 a
 * second, each newer than everything held) is appended as it came, as one chunk (logChunk.ts:
 * a packed frame stays bytes), in O(1) whatever the number held, and lines beyond the cap are
 * let go from the front: whole chunks dropped, the first one read from an offset. Only a batch
 * that overlaps or precedes what is held (the tail fetched after a reconnect, racing the
 * events) is merged by rebuilding the whole buffer, which is rare.
 *
 * Every line has an absolute position: its index plus the number of lines let go from the
 * front since the last rebuild. Views built over the buffer (the Logs window's filter and
 * search) keep absolute positions, so lines trimmed at the front shift nothing they hold, and
 * `generation` tells them when a rebuild renumbered everything. Walks over many lines read
 * columns by position (`seqAtPosition`, `sourceAtPosition`, ...) and make no line objects;
 * `at`/`atPosition` make the whole line, for the rows on screen, and hand out the same object
 * for the same line while it is recent, so a row's memo holds from one frame to the next.
 *
 * The buffer is mutable and shared between store snapshots; the store hands out a new
 * `LogsSnapshot` per change so subscribers are still told (see mirror.ts).
 */
import type { LogBatch, LogLevel, LogLine, LogSource } from '../api/contract.js';
import { FrontTrimmedList } from './frontTrimmedList.js';
import type { Indexed } from './indexed.js';
import { logChunkOf, type LogChunk } from './logChunk.js';

/** Lines made by `at` kept for reuse: a screenful or two, and the rows around them. */
const recentLinesKept = 2048;

export class LogBuffer implements Indexed<LogLine> {
  private readonly chunks = new FrontTrimmedList<LogChunk>();
  /** The absolute position of each chunk's first line (which may already be let go). */
  private readonly chunkStarts = new FrontTrimmedList<number>();
  private first = 0;
  private end = 0;
  private rebuilds = 0;
  /** The chunk (an index into `chunks`) the last read found, and its first line's position. */
  private cursor = 0;
  private cursorStart = 0;
  private readonly recentLines = new Map<number, LogLine>();

  constructor(readonly cap: number) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`log cap must be a positive integer, got ${cap}`);
  }

  get length(): number {
    return this.end - this.first;
  }

  at(index: number): LogLine | undefined {
    return this.atPosition(this.first + index);
  }

  /** Bumped whenever the lines were renumbered (an out-of-order merge); views then start over. */
  get generation(): number {
    return this.rebuilds;
  }

  /** Absolute position of the first line held. */
  get firstPosition(): number {
    return this.first;
  }

  /** Absolute position just past the newest line held. */
  get endPosition(): number {
    return this.end;
  }

  atPosition(position: number): LogLine | undefined {
    if (!this.holds(position)) return undefined;
    const known = this.recentLines.get(position);
    if (known) return known;
    const line = this.chunkHolding(position).lineAt(position - this.cursorStart);
    this.recentLines.set(position, line);
    if (this.recentLines.size > recentLinesKept) this.recentLines.delete(this.recentLines.keys().next().value!);
    return line;
  }

  /** The `seq` of the line at an absolute position held (firstPosition ≤ position < endPosition). */
  seqAtPosition(position: number): number {
    return this.chunkHolding(position).seqAt(position - this.cursorStart);
  }

  sourceAtPosition(position: number): LogSource {
    return this.chunkHolding(position).sourceAt(position - this.cursorStart);
  }

  levelAtPosition(position: number): LogLevel {
    return this.chunkHolding(position).levelAt(position - this.cursorStart);
  }

  textAtPosition(position: number): string {
    return this.recentLines.get(position)?.text ?? this.chunkHolding(position).textAt(position - this.cursorStart);
  }

  /**
   * Adds `incoming` without duplicates, in `seq` order, then keeps the newest `cap`. Returns
   * whether anything changed. O(1) when it all comes after what is held.
   */
  merge(incoming: LogBatch): boolean {
    const chunk = logChunkOf(incoming);
    if (chunk.length === 0) return false;
    if (chunk.isStrictlyAscending() && (this.length === 0 || chunk.seqAt(0) > this.seqAtPosition(this.end - 1))) {
      // The common case, a live batch after what we hold.
      this.chunks.push(chunk);
      this.chunkStarts.push(this.end);
      this.end += chunk.length;
      this.trimTo(this.end - this.cap);
      return true;
    }
    this.rebuild(chunk);
    return true;
  }

  /** A copy of every line held, oldest first: O(length), for Copy/Save and tests. */
  toArray(): LogLine[] {
    const lines: LogLine[] = [];
    // Not through `atPosition`: a million lines would churn the cache kept for the rows on screen.
    for (let position = this.first; position < this.end; position += 1) {
      lines.push(this.recentLines.get(position) ?? this.chunkHolding(position).lineAt(position - this.cursorStart));
    }
    return lines;
  }

  private holds(position: number): boolean {
    return Number.isInteger(position) && position >= this.first && position < this.end;
  }

  /**
   * The chunk holding `position`, which becomes the cursor (`cursorStart` its first line's
   * position): the last one found, its next, or one found by binary search. Walks read one
   * chunk after another, so most reads cost a comparison or two.
   */
  private chunkHolding(position: number): LogChunk {
    if (!this.holds(position)) throw new RangeError(`no log line at position ${position} (held: ${this.first}..${this.end - 1})`);
    const starts = this.chunkStarts;
    if (!this.cursorHolds(position)) {
      this.cursor += 1;
      if (!this.cursorHolds(position)) {
        let low = 0;
        let high = starts.length - 1;
        while (low < high) {
          const middle = (low + high + 1) >>> 1;
          if (starts.at(middle)! <= position) low = middle;
          else high = middle - 1;
        }
        this.cursor = low;
      }
    }
    this.cursorStart = starts.at(this.cursor)!;
    return this.chunks.at(this.cursor)!;
  }

  private cursorHolds(position: number): boolean {
    const starts = this.chunkStarts;
    const index = this.cursor;
    return index < starts.length && starts.at(index)! <= position && (index + 1 === starts.length || position < starts.at(index + 1)!);
  }

  private trimTo(position: number): void {
    if (position <= this.first) return;
    this.first = position;
    let dead = 0;
    while (dead < this.chunks.length && this.chunkStarts.at(dead)! + this.chunks.at(dead)!.length <= position) dead += 1;
    this.chunks.dropFront(dead);
    this.chunkStarts.dropFront(dead);
    this.cursor = Math.max(0, this.cursor - dead);
  }

  private rebuild(incoming: LogChunk): void {
    const bySeq = new Map<number, LogLine>();
    for (const line of this.toArray()) bySeq.set(line.seq, line);
    for (let i = 0; i < incoming.length; i += 1) bySeq.set(incoming.seqAt(i), incoming.lineAt(i));
    const merged = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    const kept = merged.slice(Math.max(0, merged.length - this.cap));
    this.chunks.clear();
    this.chunkStarts.clear();
    this.recentLines.clear();
    this.cursor = 0;
    this.chunks.push(logChunkOf(kept));
    this.chunkStarts.push(0);
    this.first = 0;
    this.end = kept.length;
    this.rebuilds += 1;
  }
}

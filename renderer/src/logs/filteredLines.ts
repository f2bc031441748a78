/**
 * The Logs window's filtered view of the held lines, kept up to date batch by batch: on each
 * sync only the lines that arrived since the last one are tested and their positions appended,
 * and lines the buffer trimmed at its front are let go from the view's front, so a batch costs
 * O(batch) however many lines are held. A different filter is a different view, built once
 * over everything held (O(lines), on the user's click).
 *
 * Each line the view shows has an ordinal: its index plus the number of shown lines let go from
 * the front. Search matches keep ordinals, so trimming shifts none of them; `epoch` changes when
 * ordinals were renumbered (a new buffer, or a buffer that re-sorted itself).
 */
import type { LogLevel, LogLine, LogSource } from '../api/contract.js';
import { FrontTrimmedList } from '../state/frontTrimmedList.js';
import type { Indexed } from '../state/indexed.js';
import type { LogBuffer } from '../state/logBuffer.js';
import { allLevels } from './logFilter.js';

export interface LineFilter {
  /** Sources the user unticked (a new build's source shows until unticked). */
  readonly hidden: ReadonlySet<LogSource>;
  /** Levels the user left ticked. */
  readonly levels: ReadonlySet<LogLevel>;
}

export class FilteredLines implements Indexed<LogLine> {
  /** With nothing filtered out the view is the buffer itself: no index of a million positions. */
  readonly showsAll: boolean;
  private buffer: LogBuffer | null = null;
  private bufferGeneration = -1;
  /** Buffer positions of the lines shown, when filtering. */
  private readonly positions = new FrontTrimmedList<number>();
  /** Shown lines let go from the front since the last restart, when filtering. */
  private letGo = 0;
  /** The buffer position up to which lines have been tested. */
  private testedTo = 0;
  private restarts = 0;

  constructor(private readonly filter: LineFilter) {
    this.showsAll = filter.hidden.size === 0 && allLevels.every((level) => filter.levels.has(level));
  }

  /** Catches up with `buffer`; O(lines added or trimmed since the last sync). */
  sync(buffer: LogBuffer): void {
    if (buffer !== this.buffer || buffer.generation !== this.bufferGeneration) this.restart(buffer);
    if (this.showsAll) return;
    // Lines the buffer trimmed are let go as one run, found by binary search.
    const stale = this.countBelow(buffer.firstPosition);
    this.positions.dropFront(stale);
    this.letGo += stale;
    const from = Math.max(this.testedTo, buffer.firstPosition);
    for (let position = from; position < buffer.endPosition; position += 1) {
      if (this.shows(buffer.sourceAtPosition(position), buffer.levelAtPosition(position))) this.positions.push(position);
    }
    this.testedTo = buffer.endPosition;
  }

  /** Changes whenever ordinals were renumbered; views over this one then start over. */
  get epoch(): number {
    return this.restarts;
  }

  get length(): number {
    if (this.showsAll) return this.buffer?.length ?? 0;
    return this.positions.length;
  }

  at(index: number): LogLine | undefined {
    const position = this.positionOf(index);
    return position === undefined ? undefined : this.buffer!.atPosition(position);
  }

  /** Column reads of the shown line at `index` (0 ≤ index < length), making no line object. */
  seqAt(index: number): number {
    return this.buffer!.seqAtPosition(this.heldPositionOf(index));
  }

  levelAt(index: number): LogLevel {
    return this.buffer!.levelAtPosition(this.heldPositionOf(index));
  }

  textAt(index: number): string {
    return this.buffer!.textAtPosition(this.heldPositionOf(index));
  }

  /** Ordinal of the line at index 0. */
  get firstOrdinal(): number {
    if (this.showsAll) return this.buffer?.firstPosition ?? 0;
    return this.letGo;
  }

  /** Ordinal just past the newest line shown. */
  get endOrdinal(): number {
    return this.firstOrdinal + this.length;
  }

  /** Index of the shown line with this `seq`, or -1 (O(log lines): shown lines are in seq order). */
  indexOfSeq(seq: number): number {
    let low = 0;
    let high = this.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = this.seqAt(middle);
      if (found === seq) return middle;
      if (found < seq) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  private shows(source: LogSource, level: LogLevel): boolean {
    return !this.filter.hidden.has(source) && this.filter.levels.has(level);
  }

  /** The buffer position of the shown line at `index`, or undefined outside 0..length-1. */
  private positionOf(index: number): number | undefined {
    if (!this.buffer || !Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    return this.showsAll ? this.buffer.firstPosition + index : this.positions.at(index);
  }

  private heldPositionOf(index: number): number {
    const position = this.positionOf(index);
    if (position === undefined) throw new RangeError(`no shown log line at index ${index} (${this.length} shown)`);
    return position;
  }

  /** How many shown positions are below `position` (binary search over the ascending positions). */
  private countBelow(position: number): number {
    let low = 0;
    let high = this.positions.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.positions.at(middle)! < position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private restart(buffer: LogBuffer): void {
    this.buffer = buffer;
    this.bufferGeneration = buffer.generation;
    this.positions.clear();
    this.letGo = 0;
    this.testedTo = buffer.firstPosition;
    this.restarts += 1;
  }
}

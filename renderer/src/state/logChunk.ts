/**
 * One batch of log lines as the window keeps it, read column by column. A batch comes either as
 * a packed frame whose texts are still the bytes the door sent (logFrame.ts; both doors send
 * floods so) or as objects (lines that could not be packed, the JSON event, a fetched tail). A packed batch stays packed: its texts outside the
 * JS heap, its `seq`, time, source and level in a handful of runs. Walks over every new line
 * (filters, the sources seen, search) read the columns they need; a whole line, with its text
 * decoded, is made only for the rows on screen.
 *
 * Why: a million held lines as objects and strings were two million things for the garbage
 * collector to walk, and its pauses were the frames the Logs window missed (README, Benchmarks).
 */
import { logFrameText, type LogBatch, type LogFrame, type LogFrameRun, type LogLevel, type LogLine, type LogSource } from '../api/contract.js';

export interface LogChunk {
  readonly length: number;
  /** Each read takes an index within the chunk, 0 ≤ index < length. */
  seqAt(index: number): number;
  sourceAt(index: number): LogSource;
  levelAt(index: number): LogLevel;
  textAt(index: number): string;
  lineAt(index: number): LogLine;
  /** Whether every `seq` is larger than the one before it. */
  isStrictlyAscending(): boolean;
}

export function logChunkOf(batch: LogBatch): LogChunk {
  return isLineArray(batch) ? new LineChunk(batch) : new FrameChunk(batch);
}

function isLineArray(batch: LogBatch): batch is readonly LogLine[] {
  return Array.isArray(batch);
}

class LineChunk implements LogChunk {
  constructor(private readonly lines: readonly LogLine[]) {}

  get length(): number {
    return this.lines.length;
  }

  seqAt(index: number): number {
    return this.lines[index]!.seq;
  }

  sourceAt(index: number): LogSource {
    return this.lines[index]!.source;
  }

  levelAt(index: number): LogLevel {
    return this.lines[index]!.level;
  }

  textAt(index: number): string {
    return this.lines[index]!.text;
  }

  lineAt(index: number): LogLine {
    return this.lines[index]!;
  }

  isStrictlyAscending(): boolean {
    for (let i = 1; i < this.lines.length; i += 1) {
      if (this.lines[i]!.seq <= this.lines[i - 1]!.seq) return false;
    }
    return true;
  }
}

class FrameChunk implements LogChunk {
  /** The index of each run's first line; a run is found by binary search, or the last one found. */
  private readonly runStarts: number[] = [];
  private lastRun = 0;

  constructor(private readonly frame: LogFrame) {
    let start = 0;
    for (const run of frame.runs) {
      this.runStarts.push(start);
      start += run[4];
    }
  }

  get length(): number {
    return this.frame.length;
  }

  seqAt(index: number): number {
    const run = this.runOf(index);
    return run[0] + index - this.runStarts[this.lastRun]!;
  }

  sourceAt(index: number): LogSource {
    return this.runOf(index)[2];
  }

  levelAt(index: number): LogLevel {
    return this.runOf(index)[3];
  }

  textAt(index: number): string {
    return logFrameText(this.frame, index);
  }

  lineAt(index: number): LogLine {
    const [, time, source, level] = this.runOf(index);
    return { seq: this.seqAt(index), time, source, level, text: this.textAt(index) };
  }

  isStrictlyAscending(): boolean {
    const runs = this.frame.runs;
    for (let i = 1; i < runs.length; i += 1) {
      if (runs[i]![0] <= runs[i - 1]![0] + runs[i - 1]![4] - 1) return false;
    }
    return true;
  }

  private runOf(index: number): LogFrameRun {
    const runs = this.frame.runs;
    const last = this.lastRun;
    if (index >= this.runStarts[last]! && index < this.runStarts[last]! + runs[last]![4]) return runs[last]!;
    let low = 0;
    let high = runs.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.runStarts[middle]! <= index) low = middle;
      else high = middle - 1;
    }
    this.lastRun = low;
    return runs[low]!;
  }
}

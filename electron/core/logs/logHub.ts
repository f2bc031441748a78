/**
 * The log hub: one stream per source (app, vm-console, qemu, ssh), each a bounded ring in
 * memory and a rotated file on disk. Subscribers get lines in batches at most about 60 times a
 * second, so a source that floods cannot flood the doors; a batch is capped too, and what a
 * cap drops is counted.
 */
import path from 'node:path';
import type { LogLevel, LogLine, LogSource } from '../../ipc/contract.js';
import { LogSourceSchema } from '../../ipc/contract.js';
import type { LogSink } from './logSink.js';
import { RingBuffer } from './ringBuffer.js';
import { RotatingFile } from './rotatingFile.js';

export interface LogHubOptions {
  ringLines: number;
  /** Where rotated files go; none are written when null (e.g. unit tests). */
  logDir: string | null;
  maxFileBytes?: number;
  keepFiles?: number;
  now?: () => number;
  /** Batching interval for subscribers, ms. */
  batchMs?: number;
  /** The most lines one batch carries; older ones in an overfull batch are dropped and counted. */
  maxBatchLines?: number;
}

export type LogBatchListener = (lines: LogLine[]) => void;

export class LogHub implements LogSink {
  private readonly rings = new Map<LogSource, RingBuffer<LogLine>>();
  private readonly files = new Map<LogSource, RotatingFile>();
  private readonly listeners = new Set<LogBatchListener>();
  private pending: LogLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  /** Lines dropped from subscriber batches because a source flooded faster than they drain. */
  droppedFromBatches = 0;
  private readonly now: () => number;

  constructor(private readonly options: LogHubOptions) {
    this.now = options.now ?? Date.now;
    for (const source of LogSourceSchema.options) {
      this.rings.set(source, new RingBuffer<LogLine>(options.ringLines));
      if (options.logDir) {
        this.files.set(
          source,
          new RotatingFile({
            path: path.join(options.logDir, `${source}.log`),
            maxBytes: options.maxFileBytes ?? 5 * 1024 * 1024,
            keep: options.keepFiles ?? 3,
            // A log file that cannot be written must not recurse into the file it failed on.
            onError: (error) => {
              if (source !== 'app') this.append('app', 'warn', `Could not write the ${source} log file: ${error.message}`);
            },
          }),
        );
      }
    }
  }

  append(source: LogSource, level: LogLevel, text: string): void {
    const time = this.now();
    const parts = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
    const ring = this.rings.get(source);
    if (!ring) return;
    let fileText = '';
    for (const part of parts) {
      const line: LogLine = { seq: this.seq++, time, source, level, text: part.replace(/\r/g, '') };
      ring.push(line);
      this.pending.push(line);
      fileText += `${new Date(time).toISOString()} ${level.toUpperCase().padEnd(5)} ${line.text}\n`;
    }
    this.files.get(source)?.write(fileText);
    const max = this.options.maxBatchLines ?? 10_000;
    if (this.pending.length > max) {
      this.droppedFromBatches += this.pending.length - max;
      this.pending = this.pending.slice(-max);
    }
    this.scheduleFlush();
  }

  /** The newest `lines` lines of one source, or of all sources merged in order. */
  tail(source: LogSource | undefined, lines: number): LogLine[] {
    if (source) return this.rings.get(source)?.last(lines) ?? [];
    const all: LogLine[] = [];
    for (const ring of this.rings.values()) all.push(...ring.last(lines));
    all.sort((a, b) => a.seq - b.seq);
    return all.slice(-lines);
  }

  subscribe(listener: LogBatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setRingLines(lines: number): void {
    for (const ring of this.rings.values()) ring.resize(lines);
  }

  filePath(source: LogSource): string | null {
    return this.options.logDir ? path.join(this.options.logDir, `${source}.log`) : null;
  }

  /** Delivers pending lines now and waits for the files. */
  async flush(): Promise<void> {
    this.deliver();
    await Promise.all([...this.files.values()].map((file) => file.flush()));
  }

  async close(): Promise<void> {
    await this.flush();
    this.listeners.clear();
  }

  private scheduleFlush(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.deliver(), this.options.batchMs ?? 16);
    this.timer.unref();
  }

  private deliver(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const listener of this.listeners) listener(batch);
  }
}

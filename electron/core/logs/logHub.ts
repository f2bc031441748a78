/**
 * The log hub: one stream per source, each a bounded ring in memory and a rotated file on disk.
 * The fixed sources (app, vm-console, qemu, ssh, nix-wiring) live as long as the hub; each build
 * gets a stream of its own (`build:<id>`), of which only the newest few stay in memory: older
 * builds live on in their files under `<logDir>/builds/`, which are pruned to the newest few
 * hundred, as the build history is.
 *
 * Memory: each ring holds at most `ringLines` lines (the setting), and all rings together hold
 * at most LOG_RING_BUDGET_MIB of lines (estimated: the text plus what V8 spends on a line
 * object). Past the budget the oldest lines of the largest stream go first, so a flood in one
 * build cannot push the app's own few lines out, and 25 streams of a million lines cannot take
 * gigabytes. At 256 MiB one stream can still hold 1,000,000 lines of up to ~150 characters.
 *
 * Subscribers get lines in batches at most about 60 times a second, so a source that floods
 * cannot flood the doors; a batch is capped too, and what a cap drops is counted.
 */
import { mkdirSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { LogFile, LogLevel, LogLine, LogSource } from '../../ipc/contract.js';
import { FixedLogSourceSchema, LOG_RING_BUDGET_MIB } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from './logSink.js';
import { buildIdOf } from './buildLogSource.js';
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
  /** Build streams kept in memory, newest first; older builds keep only their files. */
  maxBuildStreams?: number;
  /** Build log files kept under `<logDir>/builds`, newest first (as many as the build history). */
  maxBuildFiles?: number;
  /** The most bytes (estimated by `lineBytes`) all rings together hold; LOG_RING_BUDGET_BYTES by default. */
  memoryBudgetBytes?: number;
}

export type LogBatchListener = (lines: LogLine[]) => void;

interface Stream {
  ring: RingBuffer<LogLine>;
  file: RotatingFile | null;
}

export const BUILD_LOGS_DIR = 'builds';

export const LOG_RING_BUDGET_BYTES = LOG_RING_BUDGET_MIB * 1024 * 1024;

/** What V8 spends on a line object besides its text (measured on Node 20: 112 bytes with its array slot). */
const LINE_OVERHEAD_BYTES = 112;
const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

/** A line's memory, estimated: V8 keeps a string of Latin-1 characters in one byte each, others in two. */
export function lineBytes(line: LogLine): number {
  const text = line.text;
  return LINE_OVERHEAD_BYTES + (BEYOND_LATIN1.test(text) ? 2 * text.length : text.length);
}

export class LogHub implements LogSink {
  private readonly streams = new Map<LogSource, Stream>();
  /** Build sources in memory, oldest first (a Set keeps insertion order). */
  private readonly buildSources = new Set<LogSource>();
  private readonly listeners = new Set<LogBatchListener>();
  /** Files of build streams let go, still finishing their last writes. */
  private readonly closingFiles = new Set<Promise<void>>();
  /** Files of build streams just let go, still being flushed: they count as the newest. */
  private readonly buildFilesBeingWritten = new Set<string>();
  private pending: LogLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** When the last batch went out (performance.now()), so batches keep a steady cadence. */
  private deliveredAt = Number.NEGATIVE_INFINITY;
  private seq = 0;
  private ringLines: number;
  /** The sum of every ring's bytes. */
  private ringBytes = 0;
  private readonly budgetBytes: number;
  private pruning: Promise<void> = Promise.resolve();
  /** Once closed, lines are let go: nothing may write to the log directory after the core closed it. */
  private closed = false;
  /** Lines dropped from subscriber batches because a source flooded faster than they drain. */
  droppedFromBatches = 0;
  private readonly now: () => number;

  constructor(private readonly options: LogHubOptions) {
    this.now = options.now ?? Date.now;
    this.ringLines = options.ringLines;
    this.budgetBytes = options.memoryBudgetBytes ?? LOG_RING_BUDGET_BYTES;
    if (options.logDir) mkdirSync(path.join(options.logDir, BUILD_LOGS_DIR), { recursive: true, mode: 0o700 });
    for (const source of FixedLogSourceSchema.options) this.streams.set(source, this.newStream(source));
  }

  append(source: LogSource, level: LogLevel, text: string): void {
    if (this.closed) return;
    const stream = this.streamFor(source);
    if (!stream) return;
    const time = this.now();
    // A flood appends thousands of lines at once: the per-line work is only what differs per line.
    const hasReturns = text.includes('\r');
    const parts = (hasReturns ? text.replace(/\r\n/g, '\n') : text).replace(/\n$/, '').split('\n');
    const texts = hasReturns ? parts.map((part) => part.replace(/\r/g, '')) : parts;
    const bytesBefore = stream.ring.bytes;
    for (const lineText of texts) {
      const line: LogLine = { seq: this.seq++, time, source, level, text: lineText };
      stream.ring.push(line);
      this.pending.push(line);
    }
    const prefix = `${new Date(time).toISOString()} ${level.toUpperCase().padEnd(5)} `;
    const fileText = `${prefix}${texts.join(`\n${prefix}`)}\n`;
    this.ringBytes += stream.ring.bytes - bytesBefore;
    if (this.ringBytes > this.budgetBytes) this.keepWithinBudget();
    stream.file?.write(fileText);
    const max = this.options.maxBatchLines ?? 10_000;
    if (this.pending.length > max) {
      this.droppedFromBatches += this.pending.length - max;
      this.pending = this.pending.slice(-max);
    }
    this.scheduleFlush();
  }

  /** The newest `lines` lines of one source, or of all sources merged in order. */
  tail(source: LogSource | undefined, lines: number): LogLine[] {
    if (source) return this.streams.get(source)?.ring.last(lines) ?? [];
    const all: LogLine[] = [];
    for (const stream of this.streams.values()) all.push(...stream.ring.last(lines));
    all.sort((a, b) => a.seq - b.seq);
    return all.slice(-lines);
  }

  /** The sources held in memory: the fixed ones, then the kept builds, oldest first. */
  sources(): LogSource[] {
    return [...this.streams.keys()];
  }

  subscribe(listener: LogBatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setRingLines(lines: number): void {
    this.ringLines = lines;
    for (const stream of this.streams.values()) stream.ring.resize(lines);
    this.ringBytes = [...this.streams.values()].reduce((sum, stream) => sum + stream.ring.bytes, 0);
  }

  /** What the rings hold together, in estimated bytes, and the budget they are held to. */
  memory(): { bytes: number; budgetBytes: number } {
    return { bytes: this.ringBytes, budgetBytes: this.budgetBytes };
  }

  /** Where a source's current file is (whether or not it exists yet); null without a log dir. */
  filePath(source: LogSource): string | null {
    const { logDir } = this.options;
    if (!logDir) return null;
    const buildId = buildIdOf(source);
    if (buildId) return path.join(logDir, BUILD_LOGS_DIR, `${buildId}.log`);
    return FixedLogSourceSchema.safeParse(source).success ? path.join(logDir, `${source}.log`) : null;
  }

  /** The current file of every source in memory that has written one, with its size. */
  async files(): Promise<LogFile[]> {
    await this.flush();
    const found = await Promise.all(
      this.sources().map(async (source): Promise<LogFile | null> => {
        const file = this.filePath(source);
        if (!file) return null;
        const size = await fs.stat(file).then((s) => s.size, () => null);
        return size === null ? null : { source, path: file, sizeBytes: size };
      }),
    );
    return found.filter((file): file is LogFile => file !== null);
  }

  /**
   * The file of a source that exists on disk: what `logs.reveal` may show. A build let go from
   * memory still has its file. The path is always the hub's own, made from the source's name.
   */
  async existingFile(source: LogSource): Promise<string> {
    const file = this.filePath(source);
    if (!file) throw new BuilderBarError('not-supported', 'This core keeps its logs in memory only; there is no log file to show.', null);
    await this.flush();
    const exists = await fs.stat(file).then((s) => s.isFile(), () => false);
    if (!exists) throw new BuilderBarError('invalid-request', `There is no log file for ${source} yet (it would be ${file}).`, 'A file appears once the source has written a line.');
    return file;
  }

  /** Delivers pending lines now and waits for the files. */
  async flush(): Promise<void> {
    this.deliver();
    await Promise.all([
      ...[...this.streams.values()].map((stream) => stream.file?.flush()),
      ...this.closingFiles,
      this.pruning,
    ]);
  }

  /**
   * Writes what it holds and takes no more lines: work the core started in the background (which
   * Nix to use, the login shell's PATH) may still finish after the core closed, and must not
   * write into a state directory its owner is removing or handing to the next start.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    this.listeners.clear();
  }

  private streamFor(source: LogSource): Stream | null {
    const existing = this.streams.get(source);
    if (existing) return existing;
    const buildId = buildIdOf(source);
    if (!buildId) return null;
    const stream = this.newStream(source);
    this.streams.set(source, stream);
    this.buildSources.add(source);
    this.forgetOldBuilds();
    if (this.options.logDir) this.pruneBuildFiles(this.options.logDir);
    return stream;
  }

  private newStream(source: LogSource): Stream {
    const file = this.filePath(source);
    const isBuild = buildIdOf(source) !== null;
    return {
      ring: new RingBuffer<LogLine>(this.ringLines, lineBytes),
      file: file
        ? new RotatingFile({
            path: file,
            maxBytes: this.options.maxFileBytes ?? 5 * 1024 * 1024,
            // A build's log is read soon after it ran, or never: one rotated file is plenty.
            keep: isBuild ? 1 : (this.options.keepFiles ?? 3),
            // A log file that cannot be written must not recurse into the file it failed on.
            onError: (error) => {
              if (source !== 'app') this.append('app', 'warn', `Could not write the ${source} log file: ${error.message}`);
            },
          })
        : null,
    };
  }

  /** Lets go of the oldest build streams beyond the limit; their files stay on disk. */
  private forgetOldBuilds(): void {
    const max = this.options.maxBuildStreams ?? 20;
    for (const source of this.buildSources) {
      if (this.buildSources.size <= max) return;
      const stream = this.streams.get(source);
      this.buildSources.delete(source);
      this.streams.delete(source);
      if (stream) this.ringBytes -= stream.ring.bytes;
      if (stream?.file) {
        const name = `${buildIdOf(source)}.log`;
        this.buildFilesBeingWritten.add(name);
        const closing = stream.file.flush().finally(() => {
          this.closingFiles.delete(closing);
          this.buildFilesBeingWritten.delete(name);
        });
        this.closingFiles.add(closing);
      }
    }
  }

  /**
   * Past the budget, drops the oldest lines of the largest stream, down to the next largest or
   * until all fit, and again while they do not. It goes a little below the budget (1/64) so a
   * stream that keeps flooding is trimmed in steps, not one scan of the streams per line.
   */
  private keepWithinBudget(): void {
    const target = this.budgetBytes - Math.floor(this.budgetBytes / 64);
    while (this.ringBytes > target) {
      let largest: Stream | null = null;
      let runnerUp = 0;
      for (const stream of this.streams.values()) {
        const bytes = stream.ring.bytes;
        if (!largest || bytes > largest.ring.bytes) {
          runnerUp = largest?.ring.bytes ?? 0;
          largest = stream;
        } else if (bytes > runnerUp) {
          runnerUp = bytes;
        }
      }
      if (!largest || largest.ring.size === 0) return;
      const before = largest.ring.bytes;
      // Down to the runner-up, or less if that suffices; at least one line, so this ends.
      const goal = Math.min(before - 1, Math.max(runnerUp, before - (this.ringBytes - target)));
      largest.ring.trimToBytes(goal);
      this.ringBytes -= before - largest.ring.bytes;
    }
  }

  /** Deletes the files of all but the newest builds (by modification time), never one in memory. */
  private pruneBuildFiles(logDir: string): void {
    const dir = path.join(logDir, BUILD_LOGS_DIR);
    const keep = this.options.maxBuildFiles ?? 200;
    this.pruning = this.pruning.then(async () => {
      try {
        const names = await fs.readdir(dir).catch(() => [] as string[]);
        // Streams in memory count as the newest files even before their first write reaches
        // the disk (files are written in batches), so the limit holds either way.
        const inMemory = new Set([...this.buildSources].map((source) => `${buildIdOf(source)}.log`));
        const current = new Set([...names.filter((name) => name.endsWith('.log')), ...inMemory, ...this.buildFilesBeingWritten]);
        if (current.size <= keep) return;
        const dated = await Promise.all(
          [...current].map(async (name) => ({
            name,
            mtime: inMemory.has(name) || this.buildFilesBeingWritten.has(name) ? Number.POSITIVE_INFINITY : await fs.stat(path.join(dir, name)).then((s) => s.mtimeMs, () => 0),
          })),
        );
        dated.sort((a, b) => b.mtime - a.mtime);
        const doomed = dated.slice(keep).filter((file) => !inMemory.has(file.name));
        for (const { name } of doomed) {
          // The file and its rotated predecessors (`<id>.log.1`).
          for (const sibling of names.filter((candidate) => candidate === name || candidate.startsWith(`${name}.`))) {
            await fs.rm(path.join(dir, sibling), { force: true });
          }
        }
      } catch (error) {
        this.append('app', 'warn', `Could not prune old build log files in ${dir}: ${(error as Error).message}`);
      }
    });
  }

  /**
   * The next batch goes out one interval after the last one went out, not after the first line
   * that follows it: under a flood, the time spent delivering a batch (packing it, sending it)
   * would otherwise stretch every interval, and the hub would carry fewer lines a second than
   * the cap and the interval allow.
   */
  private scheduleFlush(): void {
    if (this.timer) return;
    const interval = this.options.batchMs ?? 16;
    const wait = Math.max(0, this.deliveredAt + interval - performance.now());
    this.timer = setTimeout(() => this.deliver(), wait);
    this.timer.unref();
  }

  private deliver(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    this.deliveredAt = performance.now();
    const batch = this.pending;
    this.pending = [];
    for (const listener of this.listeners) listener(batch);
  }
}

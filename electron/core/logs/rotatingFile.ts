/**
 * One log source's file on disk, rotated by size: `<name>.log`, then `<name>.log.1` ... `.N`.
 * Writes are queued and applied in order, several at a time: a source that logs 100k lines a
 * second costs a few writes a second, not one per line. A file never grows past `maxBytes`
 * because of a batch: the batch is cut at a write boundary and the file rotated first.
 *
 * Each piece is turned into bytes once, as it is queued (its size is what the bounds count), and
 * the file stays open while the queue has something for it: a flood costs one write per batch,
 * not an open, a write and a close (in a profile of a 50k lines/s flood, opening and closing was
 * a third of the writer's time). It is closed whenever the queue runs dry, so a file rotated,
 * moved or deleted by someone else is opened afresh by the next batch.
 *
 * A failing disk never takes the app down (the in-memory ring still holds the lines), and never
 * makes the writer spin:
 * - An append that fails is retried after a back-off (1 s, doubling to 30 s); the lines wait in
 *   the queue meanwhile, and writes in between only queue.
 * - The queue is bounded (`maxQueuedBytes`): past it, new lines are dropped and counted. The first
 *   drop is reported through `onError`, and the count goes into the file as a line of its own
 *   ("N lines dropped") where the gap is, with the next lines that are written.
 * - When only rotation fails (a read-only or immutable log directory, a directory where
 *   `<name>.log.N` should be), lines go on into the current file, which then grows past
 *   `maxBytes`; rotation is tried again after the same back-off.
 * - A log path that is not a regular file (a FIFO, a socket, a directory, a device) is never
 *   opened, so it cannot block the writer (opening a FIFO waits for a reader, in the thread pool,
 *   where nothing stops it): it is an append that fails, reported and retried as above.
 * Each kind of failure is reported once through `onError` until it has cleared.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { openRegularForAppending } from '../util/regularFile.js';

export interface RotatingFileOptions {
  path: string;
  maxBytes: number;
  keep: number;
  onError: (error: Error) => void;
  /** Bytes waiting for the disk at most; past it new lines are dropped and counted. Default 2 MiB. */
  maxQueuedBytes?: number;
  /** For tests: the clock (rotation's back-off) and the timer that runs a retry. */
  now?: () => number;
  schedule?: (run: () => void, delayMs: number) => void;
}

/** Ends the message about a log path that is not a regular file (a FIFO would block the writer for ever). */
const LOG_FILE_ADVICE = 'move it away; the log is written there again once it is gone';
const DEFAULT_MAX_QUEUED_BYTES = 2 * 1024 * 1024;
/** A failing disk stays quiet in the app log: at most one report of dropped lines this often. */
const DROP_REPORT_INTERVAL_MS = 30_000;

/** The wait before attempt `failures + 1`: 1 s, 2 s, 4 s … up to 30 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(Math.max(failures - 1, 0), 5));
}

function scheduleUnref(run: () => void, delayMs: number): void {
  // A pending retry must not keep a finished process alive.
  setTimeout(run, delayMs).unref();
}

function lineCount(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count += 1;
  return Math.max(count, 1);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export class RotatingFile {
  private size: number | null = null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Open while a drain writes; null between drains and after a failure. */
  private handle: FileHandle | null = null;
  private writing: Promise<void> | null = null;
  private retryScheduled = false;
  private appendFailures = 0;
  private rotationFailures = 0;
  private rotateNotBefore = 0;
  private droppedLines = 0;
  private lastDropReport = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly schedule: (run: () => void, delayMs: number) => void;
  private readonly maxQueuedBytes: number;

  constructor(private readonly options: RotatingFileOptions) {
    this.now = options.now ?? Date.now;
    this.schedule = options.schedule ?? scheduleUnref;
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
  }

  get path(): string {
    return this.options.path;
  }

  /** Bytes waiting for the disk (at most `maxQueuedBytes`, plus one piece and a dropped-lines note). */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  /** Queues whole lines (ending in a newline). */
  write(text: string): void {
    const bytes = Buffer.from(text);
    // An empty queue takes any piece, so one that alone is over the bound still gets written.
    if (this.pending.length > 0 && this.pendingBytes + bytes.length > this.maxQueuedBytes) {
      this.drop(text);
      return;
    }
    // Where the gap is: before the first line accepted after it.
    this.noteDropped();
    this.enqueue(bytes);
    // While a retry waits, a write only queues: trying again on every line is the spin.
    if (!this.retryScheduled) this.writing ??= this.drain();
  }

  /**
   * Resolves once everything written so far is on disk, or once the disk refused it (the lines
   * then wait for the next attempt, after the back-off).
   */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private enqueue(bytes: Buffer): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  /** Queues the "N lines dropped" line, when lines were dropped since the last one. */
  private noteDropped(): void {
    if (this.droppedLines === 0) return;
    this.enqueue(Buffer.from(`${new Date(this.now()).toISOString()} WARN  ${this.droppedLines} lines dropped: the log file could not be written (or not fast enough) while they came\n`));
    this.droppedLines = 0;
  }

  private drop(text: string): void {
    if (this.droppedLines === 0 && this.now() - this.lastDropReport >= DROP_REPORT_INTERVAL_MS) {
      this.lastDropReport = this.now();
      this.options.onError(
        new Error(`${this.options.path} is not being written and ${this.maxQueuedBytes} bytes wait for it: lines are dropped (and counted in the file) until it can be written again`),
      );
    }
    this.droppedLines += lineCount(text);
  }

  private async drain(): Promise<void> {
    // Let the writes of this turn of the event loop join the first batch.
    await Promise.resolve();
    try {
      while (this.pending.length > 0) {
        try {
          await this.writeBatch();
          this.appendFailures = 0;
          // No line came after the gap yet: the count goes in now, not with some later line.
          if (this.pending.length === 0) this.noteDropped();
        } catch (error) {
          this.appendFailures += 1;
          const delay = retryDelayMs(this.appendFailures);
          if (this.appendFailures === 1) {
            const cause = asError(error);
            this.options.onError(new Error(`${cause.message} (retrying every ${delay / 1000} s up to every 30 s; lines wait in memory meanwhile)`));
          }
          this.retryScheduled = true;
          this.schedule(() => {
            this.retryScheduled = false;
            this.writing ??= this.drain();
          }, delay);
          return;
        }
      }
    } finally {
      await this.closeFile();
      // In the same step as the last emptiness check, so a write cannot slip in unnoticed.
      if (this.pending.length === 0 || this.retryScheduled) {
        this.writing = null;
      } else {
        // Lines came while the file was being closed: they start the next drain.
        this.writing = this.drain();
      }
    }
  }

  /** Closes the file if it is open; a close that fails only means the next batch opens it again. */
  private async closeFile(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close().catch(() => undefined);
  }

  /** Writes as many queued pieces as fit in the current file, rotating first when none does. */
  private async writeBatch(): Promise<void> {
    if (this.size === null) {
      // Only a regular file's size counts: a directory's must not make us rotate it away (the
      // open below refuses it).
      this.size = await fs.stat(this.options.path).then((s) => (s.isFile() ? s.size : 0), () => 0);
    }
    const first = this.pending[0];
    if (first === undefined) return;
    let limit = this.options.maxBytes;
    if (this.size > 0 && this.size + first.length > limit && !(await this.tryRotate())) {
      // Rotation failed or waits for its back-off: the current file takes everything meanwhile.
      limit = Number.POSITIVE_INFINITY;
    }
    let bytes = 0;
    let taken = 0;
    for (const piece of this.pending) {
      // The first piece always goes in, even when alone it is bigger than a file may be.
      if (taken > 0 && this.size + bytes + piece.length > limit) break;
      bytes += piece.length;
      taken += 1;
    }
    try {
      this.handle ??= await openRegularForAppending(this.options.path, 0o600, { advice: LOG_FILE_ADVICE });
      await writeAll(this.handle, taken === 1 ? first : Buffer.concat(this.pending.slice(0, taken), bytes));
    } catch (error) {
      // The batch stays queued for the retry; part of it may have reached the file, so its
      // size is asked again, and the file is opened afresh.
      this.size = null;
      await this.closeFile();
      throw error;
    }
    // Writes during the append only added to the end, so the first `taken` are still this batch.
    this.pending.splice(0, taken);
    this.pendingBytes -= bytes;
    this.size += bytes;
  }

  /** True when the file was rotated; false when rotation failed now or is waiting to be retried. */
  private async tryRotate(): Promise<boolean> {
    if (this.now() < this.rotateNotBefore) return false;
    try {
      await this.rotate();
    } catch (error) {
      this.rotationFailures += 1;
      this.rotateNotBefore = this.now() + retryDelayMs(this.rotationFailures);
      if (this.rotationFailures === 1) {
        this.options.onError(
          new Error(
            `Could not rotate ${this.options.path} (${asError(error).message}); lines go on into it past ${this.options.maxBytes} bytes until it can. Make the log directory writable and move away anything named like its rotated files that is not one.`,
          ),
        );
      }
      return false;
    }
    this.rotationFailures = 0;
    this.rotateNotBefore = 0;
    return true;
  }

  /** Throws when any step fails for another reason than a rotated file that does not exist. */
  private async rotate(): Promise<void> {
    const { path, keep } = this.options;
    // Writes after the rotation go to the new file, not to the renamed one.
    await this.closeFile();
    await fs.rm(`${path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i -= 1) {
      await fs.rename(`${path}.${i}`, `${path}.${i + 1}`).catch(ignoreMissing);
    }
    if (keep >= 1) {
      await fs.rename(path, `${path}.1`).catch(ignoreMissing);
    } else {
      await fs.rm(path, { force: true });
    }
    this.size = 0;
  }
}

/** Writes all of `bytes` at the file's end (a write may take less than it was given). */
async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.length - at);
    at += bytesWritten;
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

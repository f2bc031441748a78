/**
 * One log source's file on disk, rotated by size: `<name>.log`, then `<name>.log.1` ... `.N`.
 * Writes are queued and applied in order, several at a time: a source that logs 100k lines a
 * second costs a few appends a second, not one per line. A file never grows past `maxBytes`
 * because of a batch: the batch is cut at a write boundary and the file rotated first. A failing
 * disk is reported once through `onError` and never takes the app down (the in-memory ring still
 * holds the lines).
 */
import { promises as fs } from 'node:fs';

export interface RotatingFileOptions {
  path: string;
  maxBytes: number;
  keep: number;
  onError: (error: Error) => void;
}

export class RotatingFile {
  private size: number | null = null;
  private pending: string[] = [];
  private writing: Promise<void> | null = null;
  private failing = false;

  constructor(private readonly options: RotatingFileOptions) {}

  get path(): string {
    return this.options.path;
  }

  /** Queues whole lines (ending in a newline). */
  write(text: string): void {
    this.pending.push(text);
    this.writing ??= this.drain();
  }

  /** Resolves once everything written so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    // Let the writes of this turn of the event loop join the first batch.
    await Promise.resolve();
    try {
      while (this.pending.length > 0) {
        try {
          await this.writeBatch();
          this.failing = false;
        } catch (error) {
          if (!this.failing) {
            this.failing = true;
            this.options.onError(error instanceof Error ? error : new Error(String(error)));
          }
        }
      }
    } finally {
      // In the same step as the last emptiness check, so a write cannot slip in unnoticed.
      this.writing = null;
    }
  }

  /** Writes as many queued pieces as fit in the current file, rotating first when none does. */
  private async writeBatch(): Promise<void> {
    if (this.size === null) {
      this.size = await fs.stat(this.options.path).then((s) => s.size, () => 0);
    }
    const first = this.pending[0];
    if (first === undefined) return;
    if (this.size > 0 && this.size + Buffer.byteLength(first) > this.options.maxBytes) {
      await this.rotate();
    }
    let bytes = 0;
    let taken = 0;
    for (const piece of this.pending) {
      const pieceBytes = Buffer.byteLength(piece);
      // The first piece always goes in, even when alone it is bigger than a file may be.
      if (taken > 0 && this.size + bytes + pieceBytes > this.options.maxBytes) break;
      bytes += pieceBytes;
      taken += 1;
    }
    const batch = this.pending.splice(0, taken).join('');
    try {
      await fs.appendFile(this.options.path, batch, { mode: 0o600 });
    } finally {
      // Counted even when the append failed part-way: the next stat would not be cheaper, and a
      // file that is a little smaller than counted only rotates a little early.
      this.size += bytes;
    }
  }

  private async rotate(): Promise<void> {
    const { path, keep } = this.options;
    await fs.rm(`${path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i -= 1) {
      await fs.rename(`${path}.${i}`, `${path}.${i + 1}`).catch(() => undefined);
    }
    if (keep >= 1) {
      await fs.rename(path, `${path}.1`).catch(() => undefined);
    } else {
      await fs.rm(path, { force: true });
    }
    this.size = 0;
  }
}

/**
 * One log source's file on disk, rotated by size: `<name>.log`, then `<name>.log.1` ... `.N`.
 * Writes are queued and applied in order; a failing disk is reported once through `onError`
 * and never takes the app down (the in-memory ring still holds the lines).
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
  private chain: Promise<void> = Promise.resolve();
  private failing = false;

  constructor(private readonly options: RotatingFileOptions) {}

  write(text: string): void {
    this.chain = this.chain.then(() => this.writeNow(text));
  }

  /** Resolves once everything written so far is on disk. */
  flush(): Promise<void> {
    return this.chain;
  }

  private async writeNow(text: string): Promise<void> {
    try {
      if (this.size === null) {
        this.size = await fs.stat(this.options.path).then((s) => s.size, () => 0);
      }
      const bytes = Buffer.byteLength(text);
      if (this.size > 0 && this.size + bytes > this.options.maxBytes) {
        await this.rotate();
      }
      await fs.appendFile(this.options.path, text, { mode: 0o600 });
      this.size += bytes;
      this.failing = false;
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.options.onError(error instanceof Error ? error : new Error(String(error)));
      }
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

/**
 * Follows a file QEMU appends to (the serial console, QEMU's stderr) and hands over complete
 * lines. Polling rather than fs.watch: it behaves the same on macOS and Linux, for a file that is
 * truncated and for one written by a process this core did not start.
 */
import { promises as fs } from 'node:fs';

export interface FileTailerOptions {
  file: string;
  /** Where to begin: 0 for a file just created, its size to skip what an earlier core read. */
  fromOffset: number;
  onLines: (lines: string[]) => void;
  pollMs?: number;
}

export class FileTailer {
  private offset: number;
  private partial = '';
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;

  constructor(private readonly options: FileTailerOptions) {
    this.offset = options.fromOffset;
  }

  static async sizeOf(file: string): Promise<number> {
    return fs.stat(file).then((stat) => stat.size).catch(() => 0);
  }

  start(): void {
    if (this.timer) return;
    // readNew() catches what reading meets (a file QEMU has not created yet); a failure to close
    // the file is retried with the next poll.
    this.timer = setInterval(() => {
      // The timer skips a beat while a read is under way instead of queueing behind it.
      if (!this.reading) this.poll().catch(() => undefined);
    }, this.options.pollMs ?? 100);
    this.timer.unref();
  }

  /**
   * Reads whatever is new right now (e.g. before quoting the console tail in an error). A read
   * already under way may have looked at the file's size before the last lines arrived, so a
   * caller that finds one waits for it and reads once more; reads never overlap.
   */
  poll(): Promise<void> {
    const next: Promise<void> = (this.reading ?? Promise.resolve()).then(() => this.readNew()).finally(() => {
      if (this.reading === next) this.reading = null;
    });
    this.reading = next;
    return next;
  }

  /** Reads the rest, hands over a last unterminated line too, and stops. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.poll();
    if (this.partial !== '') {
      const last = this.partial;
      this.partial = '';
      this.options.onLines([last]);
    }
  }

  private async readNew(): Promise<void> {
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(this.options.file, 'r');
      const { size } = await handle.stat();
      if (size < this.offset) {
        // Truncated (a new boot): start over from the beginning.
        this.offset = 0;
        this.partial = '';
      }
      if (size === this.offset) return;
      const length = Math.min(size - this.offset, 1024 * 1024);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, this.offset);
      this.offset += bytesRead;
      const text = this.partial + buffer.subarray(0, bytesRead).toString('utf8');
      const parts = text.split(/\r?\n/);
      this.partial = parts.pop() ?? '';
      // Serial consoles emit bare \r and terminal escapes; keep the text, drop the control noise.
      const lines = parts.map((line) => line.replace(/\r/g, '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''));
      if (lines.length > 0) this.options.onLines(lines);
    } catch {
      // The file does not exist yet; QEMU creates it when it starts.
    } finally {
      await handle?.close();
    }
  }
}

/**
 * Follows a file QEMU appends to (the serial console, QEMU's stderr) and hands over complete
 * lines. Polling rather than fs.watch: it behaves the same on macOS and Linux, for a file that is
 * truncated and for one written by a process this core did not start. Every `pollMs` while
 * lines arrive; a file that stays quiet is looked at less and less often, down to every
 * `idlePollMs` (a ready builder's console says nothing for hours): a look at a file that did
 * not change is one stat.
 */
import { promises as fs, statSync } from 'node:fs';

export interface FileTailerOptions {
  file: string;
  /** Where to begin: 0 for a file just created, its size to skip what an earlier core read. */
  fromOffset: number;
  onLines: (lines: string[]) => void;
  pollMs?: number;
  /** The longest pause between looks at a file that stays quiet (default 1 s). */
  idlePollMs?: number;
}

export class FileTailer {
  private offset: number;
  private partial = '';
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  /** Bytes read so far (or truncations seen): a look that changes it found something. */
  private progress = 0;
  private delayMs: number;

  constructor(private readonly options: FileTailerOptions) {
    this.offset = options.fromOffset;
    this.delayMs = options.pollMs ?? 100;
  }

  static async sizeOf(file: string): Promise<number> {
    return fs.stat(file).then((stat) => stat.size).catch(() => 0);
  }

  start(): void {
    if (this.timer) return;
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      const before = this.progress;
      // A read under way (a caller's poll) is waited for, not queued behind; readNew() catches
      // what reading meets (a file QEMU has not created yet), and a failure to close the file
      // is retried with the next look.
      const look = this.reading ?? this.poll();
      look.catch(() => undefined).finally(() => {
        if (this.timer === null) return;
        const busy = this.options.pollMs ?? 100;
        this.delayMs = this.progress !== before ? busy : Math.min(this.options.idlePollMs ?? 1_000, this.delayMs * 2);
        this.schedule();
      }).catch(() => undefined);
    }, this.delayMs);
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
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.poll();
    if (this.partial !== '') {
      const last = this.partial;
      this.partial = '';
      this.options.onLines([last]);
    }
  }

  private async readNew(): Promise<void> {
    // A quiet file costs one stat and nothing else. Synchronous on purpose: a stat of a local
    // file takes microseconds, while the thread pool's round trip woke the core three times a
    // look (open, stat, close), which with two tailers was most of an idle core's wake-ups.
    let handle: fs.FileHandle | undefined;
    try {
      const seen = statSync(this.options.file, { throwIfNoEntry: false });
      if (seen === undefined || seen.size === this.offset) return;
      handle = await fs.open(this.options.file, 'r');
      const { size } = await handle.stat();
      if (size < this.offset) {
        // Truncated (a new boot): start over from the beginning.
        this.offset = 0;
        this.partial = '';
        this.progress += 1;
      }
      if (size === this.offset) return;
      const length = Math.min(size - this.offset, 1024 * 1024);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, this.offset);
      this.offset += bytesRead;
      this.progress += bytesRead;
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

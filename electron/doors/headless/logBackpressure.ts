/**
 * Log batches for one browser client, paced by what the client actually reads. The hub already
 * sends at most ~60 batches a second, but a flood (50k lines a second) can still outrun a busy
 * tab; without this the door's buffer grew until the client was cut off (and then reloaded a
 * tail). Here, while more than `highWaterBytes` wait unsent, new lines are held per client,
 * at most `maxHeldLines` of them (the oldest go first; the window counts them as dropped from
 * the gap in `seq`), and sent as one batch once the socket drains.
 */
import type { LogLine } from '../../ipc/contract.js';

export interface DrainingSocket {
  readonly bufferedAmount: number;
}

export interface LogBackpressureOptions {
  highWaterBytes?: number;
  maxHeldLines?: number;
  pollMs?: number;
}

export class LogBackpressure {
  private held: LogLine[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Lines let go because the client read too slowly. */
  dropped = 0;

  constructor(
    private readonly socket: DrainingSocket,
    private readonly send: (lines: LogLine[]) => void,
    private readonly options: LogBackpressureOptions = {},
  ) {}

  offer(lines: LogLine[]): void {
    if (this.held.length === 0 && !this.congested()) {
      this.send(lines);
      return;
    }
    this.held.push(...lines);
    const max = this.options.maxHeldLines ?? 20_000;
    if (this.held.length > max) {
      this.dropped += this.held.length - max;
      this.held = this.held.slice(-max);
    }
    this.schedule();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.held = [];
  }

  private congested(): boolean {
    return this.socket.bufferedAmount > (this.options.highWaterBytes ?? 1024 * 1024);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.congested()) {
        this.schedule();
        return;
      }
      const lines = this.held;
      this.held = [];
      if (lines.length > 0) this.send(lines);
    }, this.options.pollMs ?? 16);
    this.timer.unref();
  }
}

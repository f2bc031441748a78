/**
 * One timer for the next baseline rollover across every tracked repository. Node's timers
 * overflow past 2^31-1 ms (about 24.8 days) and a sleeping Mac does not fire them on time, so
 * it waits at most a capped slice and checks again, and `kick()` re-arms it after a wake-up.
 */
const MAX_TIMER_MS = 6 * 60 * 60 * 1000;

export class RolloverTimer {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** The next rollover in epoch seconds, or null when nothing rolls over. */
    private readonly next: () => number | null,
    private readonly fire: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** (Re)arms the timer for the current next rollover. */
  kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = this.next();
    if (next === null) return;
    const due = next * 1000 - this.now();
    if (due <= 0) {
      this.fire();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.now() >= next * 1000) this.fire();
      else this.kick();
    }, Math.min(due + 50, MAX_TIMER_MS));
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * The host's end of the guest's control port: a virtio-serial port that QEMU connects to a unix
 * socket in the VM dir (RUN_DIR_FILES.controlSocket; profiles/runScriptEnv.ts), read in the
 * linux-test guest by root's scripts resources/guest/rootfs/etc/builder-bar/{boot,control}.
 *
 * Why a port of our own and not ssh: the guest's user `builder` cannot set the clock, and only
 * this QEMU's socket reaches this QEMU's guest, so a marker sent here and read back over ssh proves
 * the guest answering on the port is the one this start launched (a restored guest's kernel
 * command line still holds the marker of the boot the snapshot was taken from).
 *
 * The words (the guest checks each against a strict pattern; anything else is ignored):
 *   host -> guest  `hello`               (sent until answered)
 *   guest -> host  `waiting`             the boot stands at the snapshot line, before /nix is mounted
 *   host -> guest  `go <marker> <secs>`  mount /nix and the keys share, start sshd, set the clock
 *   guest -> host  `going <marker>`
 *   host -> guest  `time <secs>`         set the clock (after a restore, a wake-up, a pause)
 *   guest -> host  `time-set <secs>`
 * QEMU's socket takes one client at a time: each exchange connects, talks and closes.
 */
import net from 'node:net';

export class GuestControlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuestControlError';
  }
}

/** How long `go` waits for its answer before sending it again. */
const GO_RESEND_MS = 2_000;

/** The host's time as the guest is told it: whole seconds, rounded (the guest lands within 0.5 s). */
export function hostSeconds(nowMs: number): number {
  return Math.round(nowMs / 1000);
}

/** A marker the guest accepts (same rule as its `valid_marker`). */
export function checkControlMarker(marker: string): string {
  if (!/^[A-Za-z0-9_-]{8,128}$/.test(marker)) throw new GuestControlError('The boot marker must be 8-128 letters, digits, - or _.');
  return marker;
}

/** One connection to the control socket, reading the guest's lines. */
export class GuestControl {
  private buffer = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline = this.buffer.indexOf('\n');
      while (newline >= 0) {
        this.lines.push(this.buffer.slice(0, newline).trim());
        this.buffer = this.buffer.slice(newline + 1);
        newline = this.buffer.indexOf('\n');
      }
      // A guest that floods the port is not waited for line by line.
      if (this.buffer.length > 4_096) this.buffer = '';
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Connects, retrying until `timeoutMs` (QEMU creates the socket a moment after it starts). */
  static async connect(socketPath: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<GuestControl> {
    const deadline = Date.now() + options.timeoutMs;
    let lastError = 'no attempt';
    while (Date.now() < deadline && !options.signal?.aborted) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const candidate = net.createConnection({ path: socketPath });
          candidate.once('connect', () => resolve(candidate));
          candidate.once('error', reject);
        });
        return new GuestControl(socket);
      } catch (error) {
        lastError = (error as Error).message;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new GuestControlError(`Could not connect to the guest's control port at ${socketPath} (${lastError}).`);
  }

  /** Waits for a line that `accept` takes (others are skipped), up to `timeoutMs`. */
  async expect(accept: (line: string) => boolean, what: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<string> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const index = this.lines.findIndex(accept);
      if (index >= 0) {
        const [line] = this.lines.splice(0, index + 1).slice(-1);
        return line ?? '';
      }
      this.lines.length = 0;
      if (this.closed) throw new GuestControlError(`The control port closed while waiting for ${what}.`);
      if (options.signal?.aborted) throw new GuestControlError(`Cancelled while waiting for ${what}.`);
      const left = deadline - Date.now();
      if (left <= 0) throw new GuestControlError(`The guest did not send ${what} within ${Math.round(options.timeoutMs / 1000)} s.`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 200));
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiter = done;
      });
      this.waiter = null;
    }
  }

  send(line: string): void {
    if (/[\r\n]/.test(line)) throw new GuestControlError('A control line cannot hold a line break.');
    this.socket.write(`${line}\n`);
  }

  /** Waits until the guest stands at its snapshot line, asking every second (it answers only there). */
  async waitAtSnapshotLine(options: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      this.send('hello');
      try {
        await this.expect((line) => line === 'waiting', 'its "waiting" at the snapshot line', { ...options, timeoutMs: Math.max(1, Math.min(1_000, deadline - Date.now())) });
        return;
      } catch (error) {
        if (Date.now() >= deadline || this.closed || options.signal?.aborted) throw error;
      }
    }
  }

  /** Tells the waiting guest to go on with this start's marker and the host's time. */
  async go(marker: string, now: () => number, options: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    checkControlMarker(marker);
    const deadline = Date.now() + options.timeoutMs;
    // Sent again until answered: a restored guest may be inside a read that times out just then
    // (its shell's `read -t` drops what it read so far), and then waits for the next line.
    for (;;) {
      this.send(`go ${marker} ${hostSeconds(now())}`);
      try {
        await this.expect((line) => line === `going ${marker}`, `"going ${marker}"`, { ...options, timeoutMs: Math.max(1, Math.min(GO_RESEND_MS, deadline - Date.now())) });
        return;
      } catch (error) {
        if (Date.now() >= deadline || this.closed || options.signal?.aborted) throw error;
      }
    }
  }

  /**
   * Sets the guest's clock to the host's. The guest takes whole seconds (busybox `date -s @S`), so
   * the line is sent as the host's clock turns a second: the guest lands within the time the line
   * takes to arrive, not within half a second.
   */
  async setClock(now: () => number, options: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1000 - (now() % 1000)));
    const seconds = hostSeconds(now());
    this.send(`time ${seconds}`);
    await this.expect((line) => line === `time-set ${seconds}`, 'the clock confirmation', options);
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    this.waiter?.();
  }
}

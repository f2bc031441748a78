/**
 * One QEMU this core started or adopted, with everything that lives exactly as long as it: the
 * process and how it ended, the tailers copying its console and stderr into the log hub, the
 * last lines an error quotes, the QMP and ssh connections readiness opened, the stats sampling
 * while it is ready, and the ways it ends (power off, quit, SIGKILL).
 *
 * Why an object of its own: the supervisor used to keep these in a field that each of its flows
 * read again, so a flow that outlived its VM (a stats sample, a readiness check, an exit handler)
 * had to compare itself with whatever VM was current by then. Now boot and adoption create one,
 * the supervisor hands it to the flows that work on it, and it is released once; a flow that
 * outlived it sees `released` and does nothing to a newer one.
 */
import type { GuestStats } from '../../ipc/contract.js';
import type { LogSink } from '../logs/logSink.js';
import { inBackground } from '../util/inBackground.js';
import { FileTailer } from './fileTailer.js';
import { guestStatsCommand, parseGuestStats } from './guestStats.js';
import type { InstallKeys } from './keyStore.js';
import type { BuilderProfile, VmFiles } from './profile.js';
import { QmpClient } from './qmpClient.js';
import { exitsWithin, signalProcess, type ExitInfo, type QemuProcess } from './qemuProcess.js';
import { waitUntilReady, type ReadinessOptions } from './readiness.js';
import { ClockKeeper } from './snapshot/clockKeeper.js';
import type { SshSession } from './sshSession.js';
import type { BootRecord } from './vmFiles.js';

/** How many console and QEMU lines an error quotes. */
export const CONSOLE_TAIL_LINES = 30;
/** Failed stats samples in a row before the guest counts as no longer answering. */
export const STATS_FAILURES_BEFORE_RECHECK = 3;
/** QEMU's own lines an error quotes even when the console said more after them. */
const QEMU_TAIL_LINES = 5;
/** QEMU's stderr lines carry this prefix in the console tail, so an error can tell them apart. */
const QEMU_PREFIX = 'qemu: ';

export interface RunningVmInit {
  process: QemuProcess;
  profile: BuilderProfile;
  files: VmFiles;
  record: BootRecord;
  keys: InstallKeys;
  /** Why the ssh port is not the configured one (shown with "ready"); null when it is. */
  portNote: string | null;
  /** Started to restore the saved state (snapshot/); false for a cold boot and an adopted VM. */
  restored?: boolean;
  /** Where tailing starts: 0 after a fresh boot, the files' sizes for an adopted VM (an earlier core read the rest). */
  fromOffsets: { console: number; qemu: number };
  logs: LogSink;
}

export interface StatsHandlers {
  onStats: (stats: GuestStats) => void;
  /** The guest failed `STATS_FAILURES_BEFORE_RECHECK` samples in a row while QEMU runs. */
  onSilent: () => void;
  now: () => number;
}

/** One stats sampling; a sample that finds another one (or none) in its place was stopped meanwhile. */
interface StatsWatch {
  timer: NodeJS.Timeout;
  /** Failed samples in a row. */
  failures: number;
}

export class RunningVm {
  readonly process: QemuProcess;
  readonly profile: BuilderProfile;
  readonly files: VmFiles;
  readonly record: BootRecord;
  readonly keys: InstallKeys;
  readonly portNote: string | null;
  /** Started to restore the saved state rather than booted cold. */
  readonly restored: boolean;
  /** Resolves once QEMU is gone; `exit` says how by then. */
  readonly exited: Promise<ExitInfo>;

  private exitInfo: ExitInfo | null = null;
  private exitExpected = false;
  /** While a snapshot loads: QEMU refusing it exits by itself, which is no crash (see `allowingRefusal`). */
  private refusalAllowed = false;
  private releasing: Promise<void> | null = null;
  private readonly tail: string[] = [];
  /**
   * QEMU's own last lines, kept apart: the two files are read by separate tailers in no fixed
   * order, so console lines read later could push QEMU's dying words out of the shared tail.
   */
  private readonly qemuTail: string[] = [];
  private readonly tailers: FileTailer[];
  private readonly logs: LogSink;
  private qmp: QmpClient | null = null;
  private session: SshSession | null = null;
  private stats: StatsWatch | null = null;
  /** Settles once the guest went on from its snapshot line (a guest with a control port); readiness waits for it. */
  private guestWent: Promise<void> | null = null;
  /** Sets the guest's clock from the host when a sample finds it off (snapshot/clockKeeper.ts). */
  private readonly clock: ClockKeeper;

  constructor(init: RunningVmInit) {
    this.process = init.process;
    this.profile = init.profile;
    this.files = init.files;
    this.record = init.record;
    this.keys = init.keys;
    this.portNote = init.portNote;
    this.restored = init.restored ?? false;
    this.logs = init.logs;
    this.clock = new ClockKeeper({ profile: init.profile, vmDir: init.files.vmDir, logs: init.logs, now: Date.now });
    this.exited = init.process.exited.then((info) => {
      this.exitInfo = info;
      return info;
    });
    // Each line goes to the log hub under its source and into the tail an error quotes.
    const follow = (file: string, fromOffset: number, source: 'vm-console' | 'qemu', prefix: string): FileTailer =>
      new FileTailer({
        file,
        fromOffset,
        onLines: (lines) => {
          for (const line of lines) {
            this.logs.append(source, source === 'qemu' ? 'warn' : 'info', line);
            this.remember(`${prefix}${line}`, source === 'qemu');
          }
        },
      });
    this.tailers = [follow(init.files.consoleLog, init.fromOffsets.console, 'vm-console', ''), follow(init.files.qemuLog, init.fromOffsets.qemu, 'qemu', QEMU_PREFIX)];
    for (const tailer of this.tailers) tailer.start();
  }

  /** Readiness opens no ssh connection before `went` settles (either way): see ReadinessTarget.sshAfter. */
  sshAfter(went: Promise<unknown>): void {
    this.guestWent = went.then(() => undefined, () => undefined);
  }

  /** How QEMU ended; null while it runs (or while this core cannot see it end). */
  get exit(): ExitInfo | null {
    return this.exitInfo;
  }

  /**
   * True once this core ends QEMU on purpose, or QEMU exited by itself while `allowingRefusal`
   * ran: either way its exit is not an unplanned one. A QEMU killed by a signal is never on purpose
   * unless this core ended it.
   */
  get endedOnPurpose(): boolean {
    if (this.exitExpected) return true;
    return this.refusalAllowed && this.exitInfo !== null && this.exitInfo.signal === null;
  }

  /** True once this core has let go of the VM: nothing should act on it any more. */
  get released(): boolean {
    return this.releasing !== null;
  }

  /** The last console and QEMU lines, oldest first. */
  get consoleTail(): string[] {
    // QEMU's own lines that the console pushed out come back at the end, within the same length.
    const missing = this.qemuTail.filter((line) => !this.tail.includes(line));
    return [...this.tail.slice(missing.length), ...missing];
  }

  /** The ssh connection readiness opened, while it is open. */
  get readySession(): SshSession | null {
    return this.session && !this.session.isClosed ? this.session : null;
  }

  /** QEMU's own last words (e.g. "Failed to get write lock"), read to the end of its output first. */
  async lastQemuWords(): Promise<string | null> {
    await Promise.all(this.tailers.map((tailer) => tailer.poll()));
    const line = this.qemuTail.at(-1);
    return line === undefined ? null : line.slice(QEMU_PREFIX.length);
  }

  /**
   * Runs the readiness probes against this VM and keeps their QMP and ssh connections. Resolves
   * with the guest's Nix version, or null when the check was cancelled or the VM ended meanwhile.
   * `onSessionLost` is called if the ssh connection closes later without this core asking.
   */
  async waitUntilReady(options: ReadinessOptions, onSessionLost: () => void): Promise<string | null> {
    const ready = await waitUntilReady(
      {
        isQemuAlive: () => this.exitInfo === null,
        qmpSocket: this.files.qmpSocket,
        ssh: {
          host: '127.0.0.1',
          port: this.record.sshPort,
          username: this.profile.sshUser,
          privateKey: this.keys.clientPrivateKey,
          pinnedHostKeyBlob: this.keys.pinnedHostKeyBlob,
        },
        readinessCommand: this.profile.readinessCommand,
        bootMarker: this.record.bootMarker,
        keysShare: this.profile.keysShare?.(this.files),
        sshAfter: this.guestWent ?? undefined,
      },
      options,
    );
    if (options.signal.aborted || this.released || this.exitInfo !== null) {
      ready.session.close();
      ready.qmp.close();
      return null;
    }
    this.qmp = ready.qmp;
    this.session = ready.session;
    ready.session.onClose(() => {
      if (this.session === ready.session && !this.exitExpected && !this.released) onSessionLost();
    });
    return ready.nixVersion;
  }

  /** Closes the QMP and ssh connections and stops the stats (before checking readiness again). */
  dropConnections(): void {
    this.stopStats();
    this.session?.close();
    this.session = null;
    this.qmp?.close();
    this.qmp = null;
  }

  /** Samples the guest's vital signs now and every `intervalMs` until `stopStats` or release. */
  watchStats(intervalMs: number, handlers: StatsHandlers): void {
    this.stopStats();
    const sample = (): void => inBackground(this.sampleStats(watch, handlers), "Reading the guest's stats", (text) => this.logs.append('app', 'error', text));
    const watch: StatsWatch = { timer: setInterval(sample, intervalMs), failures: 0 };
    watch.timer.unref();
    this.stats = watch;
    sample();
  }

  stopStats(): void {
    if (this.stats) clearInterval(this.stats.timer);
    this.stats = null;
  }

  private async sampleStats(watch: StatsWatch, handlers: StatsHandlers): Promise<void> {
    const session = this.session;
    if (!session || this.stats !== watch) return;
    try {
      const beforeMs = handlers.now();
      const result = await session.run(guestStatsCommand, { timeoutMs: 10_000 });
      const afterMs = handlers.now();
      if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr.trim()}`);
      if (this.stats !== watch) return;
      watch.failures = 0;
      const stats = parseGuestStats(result.stdout, afterMs, { beforeMs, afterMs });
      handlers.onStats(stats);
      await this.clock.check(stats.clockOffsetMs ?? null);
    } catch (error) {
      if (this.stats !== watch) return;
      watch.failures += 1;
      this.logs.append('ssh', 'warn', `Reading the guest's stats failed (${watch.failures} in a row): ${(error as Error).message}`);
      if (watch.failures >= STATS_FAILURES_BEFORE_RECHECK && this.exitInfo === null) handlers.onSilent();
    }
  }

  /**
   * The graceful end: sync the guest's disks, ask it to power off over QMP and wait up to
   * `gracefulMs`. Whether QEMU is gone by then is `exit`; `end` finishes what this did not.
   */
  async powerOff(gracefulMs: number): Promise<void> {
    this.exitExpected = true;
    this.stopStats();
    if (this.exitInfo !== null) return;
    await this.session?.exec('sync', { timeoutMs: 5_000 }).catch(() => undefined);
    const powerdownSent = await this.qmpClient()
      .then((qmp) => qmp.powerdown())
      .then(() => true)
      .catch(() => false);
    if (powerdownSent && (await exitsWithin(this.exited, gracefulMs))) {
      this.logs.append('app', 'info', 'The guest powered off.');
    } else if (this.exitInfo === null) {
      this.logs.append('app', 'warn', `The guest did not power off within ${gracefulMs / 1000} s; ending QEMU.`);
    }
  }

  /** quit over QMP, then SIGKILL: QEMU ends now, whatever the guest is doing. */
  async end(forceStopMs: number): Promise<void> {
    this.exitExpected = true;
    this.stopStats();
    if (this.exitInfo !== null) return;
    await this.qmpClient()
      .then((qmp) => qmp.quit(1_000))
      .catch(() => undefined);
    if (await exitsWithin(this.exited, forceStopMs)) return;
    this.logs.append('app', 'warn', `QEMU (pid ${this.process.pid}) did not quit; sending SIGKILL.`);
    signalProcess(this.process.pid, 'SIGKILL');
    await exitsWithin(this.exited, forceStopMs);
  }

  /**
   * Runs `attempt` with QEMU exiting by itself allowed: a QEMU that cannot load a snapshot exits
   * with an error code, and the boot then starts cold instead of the supervisor taking it for a
   * crash. A QEMU killed by a signal meanwhile (kill -9, the OOM killer) is still a crash, reported
   * and restarted like any other, and its snapshot is kept: nothing was wrong with it.
   */
  async allowingRefusal<T>(attempt: () => Promise<T>): Promise<T> {
    this.refusalAllowed = true;
    try {
      return await attempt();
    } finally {
      this.refusalAllowed = false;
    }
  }

  /** Lets go of the connections, the stats and the output; the process is the caller's (end it first, or leave it running). Once. */
  release(): Promise<void> {
    this.releasing ??= (async () => {
      this.dropConnections();
      await Promise.all(this.tailers.map((tailer) => tailer.stop()));
    })();
    return this.releasing;
  }

  /** The core goes away and QEMU stays, with its pid file and boot record, for the next core to adopt. */
  leaveRunning(): Promise<void> {
    this.process.detach();
    return this.release();
  }

  private remember(line: string, fromQemu: boolean): void {
    this.tail.push(line);
    if (this.tail.length > CONSOLE_TAIL_LINES) this.tail.splice(0, this.tail.length - CONSOLE_TAIL_LINES);
    if (fromQemu) {
      this.qemuTail.push(line);
      if (this.qemuTail.length > QEMU_TAIL_LINES) this.qemuTail.splice(0, this.qemuTail.length - QEMU_TAIL_LINES);
    }
  }

  private async qmpClient(): Promise<QmpClient> {
    if (this.qmp && !this.qmp.isClosed) return this.qmp;
    // The socket is found by its path, which the next QEMU reuses once this VM is let go: a late
    // power-off or quit from here must never reach that one.
    if (this.released) throw new Error('this VM was let go; its QMP socket may be the next QEMU\'s');
    this.qmp = await QmpClient.connect(this.files.qmpSocket, 1_000);
    return this.qmp;
  }
}

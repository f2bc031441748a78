/**
 * The builder supervisor: the only thing that moves the builder's state. It launches QEMU for
 * the chosen profile (detached, so the VM outlives a crashed core), checks readiness with the
 * ordered probes, watches the process and the guest, restarts after exits nobody asked for
 * (with backoff and a visible give-up), adopts a VM an earlier core left running, and stops it
 * gracefully or by force from any state.
 *
 * One operation at a time: a start during a stop is refused as `busy`; a start during a start
 * joins it; a stop during a start aborts the boot; a force stop during a graceful stop ends
 * QEMU at once. Every change is announced through `onStatus`.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Accelerator, ProfileName, Settings, Status, VmError } from '../../ipc/contract.js';
import { initialStatus } from '../../ipc/initialStatus.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from '../logs/logSink.js';
import type { StatePaths } from '../paths.js';
import { ensurePrivateDir } from '../util/atomicWrite.js';
import { inBackground } from '../util/inBackground.js';
import { FileTailer } from './fileTailer.js';
import { findOnPath } from './guest-image/hostTools.js';
import { guestStatsCommand, parseGuestStats } from './guestStats.js';
import { chooseHostPort } from './hostPort.js';
import { ensureInstallKeys, type InstallKeys } from './keyStore.js';
import type { BuilderProfile, VmFiles } from './profile.js';
import { QmpClient } from './qmpClient.js';
import {
  exitsWithin,
  isProcessAlive,
  isQemuProcess,
  signalProcess,
  spawnQemu,
  watchAdoptedProcess,
  type ExitInfo,
  type QemuProcess,
} from './qemuProcess.js';
import { ReadinessCancelled, ReadinessError, waitUntilReady } from './readiness.js';
import { defaultBackoff, planRestart, rememberRestart, type BackoffSchedule, type RestartHistory } from './restartPlanner.js';
import type { ExecResult, SshSession } from './sshSession.js';
import { readBootRecord, readPidFile, removeRuntimeFiles, vmFilesIn, writeBootRecord, type BootRecord } from './vmFiles.js';
import { transition, type VmEvent } from './vmStateMachine.js';

export interface SupervisorTiming {
  /** All readiness probes together, per boot. Generous: a TCG guest boots in ~12 s here, far more on a busy host. */
  readyTimeoutMs: number;
  /** How long a graceful stop waits for the guest to power off before QEMU is ended. */
  gracefulStopMs: number;
  /** How long `quit` (then SIGKILL) may take. */
  forceStopMs: number;
  statsIntervalMs: number;
  /** Ready this long and the restart counter starts over. */
  stableAfterMs: number;
  /** Poll interval of the readiness probes. */
  pollMs: number;
  backoff: BackoffSchedule;
}

export const defaultTiming: SupervisorTiming = {
  readyTimeoutMs: 300_000,
  gracefulStopMs: 20_000,
  forceStopMs: 5_000,
  statsIntervalMs: 5_000,
  stableAfterMs: 60_000,
  pollMs: 100,
  backoff: defaultBackoff,
};

export interface SupervisorDeps {
  paths: StatePaths;
  getSettings: () => Settings;
  logs: LogSink;
  resolveProfile: (name: ProfileName) => BuilderProfile | Promise<BuilderProfile>;
  /** Probes kvm/hvf for the profile and falls back to tcg, saying why. */
  chooseAccelerator: (profile: BuilderProfile) => Promise<Accelerator>;
  platform?: NodeJS.Platform;
  now?: () => number;
  timing?: Partial<SupervisorTiming>;
}

export interface StartOptions {
  /** Resolve once the builder is ready; reject if it fails. */
  wait?: boolean;
  /** With `wait`: give up waiting after this long (the boot itself goes on). */
  timeoutMs?: number;
}

/** How many console and QEMU lines an error quotes. */
const CONSOLE_TAIL_LINES = 30;
const STATS_FAILURES_BEFORE_RECHECK = 3;

/** One running (or starting) QEMU and everything attached to it. */
interface RunningVm {
  process: QemuProcess;
  profile: BuilderProfile;
  files: VmFiles;
  record: BootRecord;
  keys: InstallKeys;
  tailers: FileTailer[];
  exit: ExitInfo | null;
  /** Set when this core ends QEMU on purpose, so its exit is not an unplanned one. */
  expectedExit: boolean;
  qmp: QmpClient | null;
  session: SshSession | null;
}

interface BootRun {
  abort: AbortController;
  done: Promise<void>;
}

type BootKind = 'start' | 'auto-restart' | 'adopt' | 'recheck';

/** A failure with what the status shows about it. */
interface Failure {
  message: string;
  hint: string | null;
  exitCode?: number | null;
  signal?: string | null;
  /** Worth an automatic restart (an exit or a failed check), unlike a refused host key. */
  retryable: boolean;
}

export class BuilderSupervisor {
  private current: Status;
  private readonly listeners = new Set<(status: Status) => void>();
  private readonly timing: SupervisorTiming;
  private readonly now: () => number;
  private readonly platform: NodeJS.Platform;
  private readonly files: VmFiles;

  private vm: RunningVm | null = null;
  private boot: BootRun | null = null;
  private stopping: Promise<Status> | null = null;
  private forceRequested = false;
  private userStopped = false;
  private closed = false;
  private history: RestartHistory = { attempts: 0, recentRestarts: [] };
  private restartTimer: NodeJS.Timeout | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  private stableTimer: NodeJS.Timeout | null = null;
  private statsFailures = 0;
  private consoleTail: string[] = [];
  private portNote: string | null = null;
  /**
   * The accelerator probe starts a throwaway QEMU and may wait seconds for a hanging kvm; its
   * answer does not change while the app runs, so it is asked once per profile (and early, in
   * `recover()`, so the first click on Start does not wait for it).
   */
  private readonly accelerators = new Map<ProfileName, Promise<Accelerator>>();
  private readonly logError = (text: string): void => this.deps.logs.append('app', 'error', text);

  constructor(private readonly deps: SupervisorDeps) {
    this.timing = { ...defaultTiming, ...deps.timing };
    this.now = deps.now ?? Date.now;
    this.platform = deps.platform ?? process.platform;
    this.files = vmFilesIn(deps.paths.vmDir);
    this.current = initialStatus(deps.getSettings().profile, this.now());
  }

  // -------------------------------------------------------------------------------------------
  // Public API
  // -------------------------------------------------------------------------------------------

  status(): Status {
    return structuredClone(this.current);
  }

  onStatus(listener: (status: Status) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(options: StartOptions = {}): Promise<Status> {
    this.assertOpen();
    const step = this.check('start');
    if (step === 'move') {
      this.userStopped = false;
      this.cancelRestart();
      this.history = { attempts: 0, recentRestarts: [] };
      const preflight = this.beginBoot('start', { restart: { attempts: 0, nextAt: null, gaveUp: false } });
      // Refusals that need no boot (port in use, no QEMU, bad keys) are this call's error even
      // without `wait`, so the CLI and the UI can say so at once.
      await preflight;
    }
    if (options.wait && this.current.state !== 'ready') await this.waitForOutcome(options.timeoutMs);
    return this.status();
  }

  async stop(options: { force?: boolean } = {}): Promise<Status> {
    const force = options.force ?? false;
    if (this.stopping) {
      if (force && !this.forceRequested) {
        this.forceRequested = true;
        this.deps.logs.append('app', 'info', 'Force stop requested while stopping: ending QEMU now.');
        const vm = this.vm;
        if (vm) await this.endQemu(vm);
      }
      return this.stopping;
    }
    const wasState = this.current.state;
    this.userStopped = true;
    this.cancelRestart();
    if (this.check('stop') === 'stay') return this.status();
    this.forceRequested = force;
    this.deps.logs.append('app', 'info', `Stopping the builder${force ? ' (forced)' : ''} from state ${wasState}.`);
    this.moveTo('stop', { detail: force ? 'ending QEMU' : 'stopping', restart: { ...this.current.restart, nextAt: null } });
    this.stopping = this.runStop(wasState === 'ready').finally(() => {
      this.stopping = null;
      this.forceRequested = false;
    });
    return this.stopping;
  }

  async restart(): Promise<Status> {
    this.assertOpen();
    if (this.current.state !== 'stopped') await this.stop({});
    return this.start({});
  }

  /** At core start: adopt a VM an earlier core left running, or clean up what it left behind. */
  async recover(): Promise<void> {
    this.assertOpen();
    await this.recoverRunningVm();
    if (this.current.state === 'stopped') inBackground(this.warmUp(), 'Preparing the builder profile', this.logError);
  }

  private async warmUp(): Promise<void> {
    try {
      const profile = await this.deps.resolveProfile(this.deps.getSettings().profile);
      await this.acceleratorFor(profile);
    } catch {
      // A missing QEMU or an unsupported profile is reported when the user starts the builder.
    }
  }

  private acceleratorFor(profile: BuilderProfile): Promise<Accelerator> {
    let choice = this.accelerators.get(profile.name);
    if (!choice) {
      choice = this.deps.chooseAccelerator(profile);
      this.accelerators.set(profile.name, choice);
      choice.catch(() => this.accelerators.delete(profile.name));
    }
    return choice;
  }

  private async recoverRunningVm(): Promise<void> {
    const pid = await readPidFile(this.files);
    const record = await readBootRecord(this.files);
    if (pid === null) {
      if (record !== null || (await exists(this.files.qmpSocket))) {
        this.deps.logs.append('app', 'info', 'Removed files of an earlier builder that left no pid file.');
        await removeRuntimeFiles(this.files);
      }
      return;
    }
    const profileName = record?.profile ?? this.deps.getSettings().profile;
    let profile: BuilderProfile;
    try {
      profile = await this.deps.resolveProfile(profileName);
    } catch (error) {
      // Recovery must not keep the core from starting; the files stay for a later look.
      this.deps.logs.append('app', 'warn', `Cannot check the builder left by an earlier core (profile ${profileName}): ${(error as Error).message}`);
      return;
    }
    const isQemu = await isQemuProcess(pid, profile.qemuBinaryName, this.platform);
    if (!isQemu) {
      this.deps.logs.append(
        'app',
        'info',
        `Removed a stale pid file: pid ${pid} ${isProcessAlive(pid) ? `is not ${profile.qemuBinaryName}` : 'is no longer running'}.`,
      );
      await removeRuntimeFiles(this.files);
      return;
    }
    const qmpAnswers = await QmpClient.connect(this.files.qmpSocket, 2_000)
      .then(async (client) => {
        try {
          await client.queryStatus();
          return true;
        } finally {
          client.close();
        }
      })
      .catch(() => false);
    if (!qmpAnswers || record === null || record.pid !== pid) {
      // Our pid file, a QEMU executable, but nothing to check it against: it cannot be
      // trusted as the builder, and left alone it would hold the port. End it.
      const why = record === null ? 'no boot record' : record.pid !== pid ? 'a boot record of another process' : 'a control socket that does not answer';
      this.deps.logs.append('app', 'warn', `Ending QEMU pid ${pid} left by an earlier core: it has ${why}.`);
      signalProcess(pid, 'SIGTERM');
      const watch = watchAdoptedProcess(pid, 100);
      if (!(await exitsWithin(watch.exited, this.timing.forceStopMs))) signalProcess(pid, 'SIGKILL');
      watch.detach();
      await removeRuntimeFiles(this.files);
      return;
    }
    this.deps.logs.append('app', 'info', `Adopting the builder left running by an earlier core (QEMU pid ${pid}, port ${record.sshPort}).`);
    const keys = await ensureInstallKeys(this.deps.paths.keysDir, profile);
    const vm = this.attach({
      process: watchAdoptedProcess(pid),
      profile,
      record,
      keys,
      fromOffsets: {
        console: await FileTailer.sizeOf(this.files.consoleLog),
        qemu: await FileTailer.sizeOf(this.files.qemuLog),
      },
    });
    this.moveTo('adopt', {
      profile: profile.name,
      detail: 'checking the adopted builder',
      pid,
      sshPort: record.sshPort,
      accelerator: record.accelerator,
      hostKey: keys.pinnedHostKey,
      adopted: true,
      error: null,
    });
    this.runBoot('adopt', (signal) => this.checkReadiness(vm, signal));
  }

  /** After the system wakes up: check the builder again; a failure counts as unplanned. */
  async probeAgain(): Promise<void> {
    if (this.closed || this.current.state !== 'ready' || !this.vm) return;
    this.recheck('checking the builder after wake-up');
    await this.boot?.done;
  }

  /**
   * App quit. `stopBuilder` stops the VM gracefully; otherwise the core lets go of it: QEMU keeps
   * running with its pid file and boot record for the next core to adopt.
   */
  async close(options: { stopBuilder: boolean }): Promise<void> {
    if (this.closed) return;
    if (options.stopBuilder && this.current.state !== 'stopped') await this.stop({}).catch(() => undefined);
    this.closed = true;
    this.cancelRestart();
    this.clearReadyTimers();
    const boot = this.boot;
    boot?.abort.abort();
    if (boot) await boot.done;
    const vm = this.vm;
    if (vm) {
      vm.process.detach();
      await this.releaseVm(vm);
      this.vm = null;
      this.deps.logs.append('app', 'info', `Left the builder running (QEMU pid ${vm.process.pid}) for the next core to adopt.`);
    }
    this.listeners.clear();
  }

  /** Runs a command in the guest over the ready ssh connection (the future build queue's door). */
  async exec(command: string, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const session = this.vm?.session;
    if (this.current.state !== 'ready' || !session || session.isClosed) {
      throw new BuilderBarError('vm-failed', `The builder is not ready (it is ${this.current.state}).`, 'Start the builder and wait until it shows Ready.');
    }
    return session.exec(command, options);
  }

  /** The existing disk's virtual size (qcow2 header), or null when there is none yet. */
  async diskSizeGiB(): Promise<number | null> {
    const handle = await fs.open(this.files.diskImage, 'r').catch(() => null);
    if (!handle) return null;
    try {
      const header = Buffer.alloc(32);
      await handle.read(header, 0, 32, 0);
      const bytes = header.toString('latin1', 0, 4) === 'QFI\xfb' ? Number(header.readBigUInt64BE(24)) : (await handle.stat()).size;
      return Math.round(bytes / 2 ** 30);
    } finally {
      await handle.close();
    }
  }

  /** Resolves once no start, stop or check is in progress. */
  async settled(): Promise<Status> {
    while (this.boot || this.stopping) {
      await (this.stopping ?? this.boot?.done);
    }
    return this.status();
  }

  // -------------------------------------------------------------------------------------------
  // Booting
  // -------------------------------------------------------------------------------------------

  /** Starts a boot in the background; resolves once QEMU is about to be launched (or the preflight failed). */
  private beginBoot(kind: 'start' | 'auto-restart', patch: Partial<Status>): Promise<void> {
    let preflightDone!: () => void;
    let preflightFailed!: (error: unknown) => void;
    const preflight = new Promise<void>((resolve, reject) => {
      preflightDone = resolve;
      preflightFailed = reject;
    });
    this.moveTo(kind === 'start' ? 'start' : 'auto-restart', {
      detail: 'preparing',
      error: kind === 'start' ? null : this.current.error,
      adopted: false,
      guest: null,
      ...patch,
    });
    this.runBoot(kind, (signal) => this.launch(kind, signal, preflightDone), (error) => preflightFailed(error));
    // The preflight settles with the boot at the latest.
    this.boot?.done.then(() => preflightDone(), preflightFailed);
    return preflight;
  }

  private runBoot(kind: BootKind, body: (signal: AbortSignal) => Promise<void>, onFailure?: (error: unknown) => void): void {
    const abort = new AbortController();
    const run: BootRun = {
      abort,
      done: Promise.resolve().then(async () => {
        try {
          await body(abort.signal);
        } catch (error) {
          if (abort.signal.aborted || error instanceof ReadinessCancelled) return;
          const failure = this.describeFailure(error);
          onFailure?.(error instanceof BuilderBarError ? error : new BuilderBarError('vm-failed', failure.message, failure.hint));
          await this.failBoot(failure, kind);
        } finally {
          if (this.boot === run) this.boot = null;
        }
      }),
    };
    this.boot = run;
  }

  private async launch(kind: 'start' | 'auto-restart', signal: AbortSignal, preflightDone: () => void): Promise<void> {
    const settings = this.deps.getSettings();
    const profile = await this.deps.resolveProfile(settings.profile);
    this.set({ profile: profile.name, detail: 'preparing keys' });
    const keys = await ensureInstallKeys(this.deps.paths.keysDir, profile);
    this.set({ hostKey: keys.pinnedHostKey, detail: 'checking the host port' });
    const chosen = await chooseHostPort(settings.hostPort, settings.hostPortAuto, { platform: this.platform });
    this.portNote = chosen.note;
    if (chosen.note) this.deps.logs.append('app', 'warn', chosen.note);
    this.set({ sshPort: chosen.port, detail: chosen.note ?? 'finding QEMU' });
    const qemuBinary = await findOnPath(profile.qemuBinaryName);
    if (!qemuBinary) {
      throw new BuilderBarError(
        'vm-failed',
        `${profile.qemuBinaryName} was not found on PATH.`,
        this.platform === 'darwin' ? 'Install QEMU (e.g. with Nix or Homebrew) and start again.' : 'Install QEMU (Debian: apt-get install qemu-system-x86) and start again.',
      );
    }
    preflightDone();
    if (signal.aborted) return;

    this.set({ detail: 'choosing an accelerator' });
    const accelerator = await this.acceleratorFor(profile);
    this.set({ accelerator });
    this.deps.logs.append('app', 'info', `Accelerator: ${accelerator.name} (${accelerator.reason}).`);
    if (signal.aborted) return;

    await ensurePrivateDir(this.files.vmDir);
    const bootMarker = `builder-bar-boot-${randomBytes(12).toString('hex')}`;
    this.set({ detail: 'preparing the guest' });
    const prepareStarted = this.now();
    const prepared = await profile.prepare({
      cacheDir: this.deps.paths.imagesDir,
      files: this.files,
      keys: { clientPublicKey: keys.clientPublicKey, hostPrivateKey: keys.hostPrivateKey },
      bootMarker,
      diskGiB: settings.diskGiB,
      report: (message) => {
        this.set({ detail: message });
        this.deps.logs.append('app', 'info', message);
      },
      signal,
    });
    if (signal.aborted) return;

    const plan = profile.launchPlan({
      qemuBinary,
      accelerator: accelerator.name,
      cpus: settings.cpus,
      memoryMiB: settings.memoryMiB,
      hostPort: chosen.port,
      files: this.files,
      prepared,
      bootMarker,
    });
    await removeRuntimeFiles(this.files);
    // Each boot's console and QEMU output start empty; earlier boots live on in the log hub's files.
    await fs.writeFile(this.files.consoleLog, '', { mode: 0o600 });
    await fs.writeFile(this.files.qemuLog, '', { mode: 0o600 });
    if (signal.aborted) return;
    this.deps.logs.append('app', 'info', `Guest prepared in ${((this.now() - prepareStarted) / 1000).toFixed(1)} s.`);
    this.deps.logs.append('app', 'info', `Launching QEMU: ${plan.command} ${plan.args.join(' ')}`);
    this.set({ detail: 'launching QEMU' });
    const qemuProcess = await spawnQemu(plan, this.files.qemuLog);
    const record: BootRecord = {
      pid: qemuProcess.pid,
      profile: profile.name,
      qemuBinary,
      bootMarker,
      sshPort: chosen.port,
      accelerator,
      startedAt: this.now(),
    };
    const vm = this.attach({ process: qemuProcess, profile, record, keys, fromOffsets: { console: 0, qemu: 0 } });
    await writeBootRecord(this.files, record);
    this.set({ pid: qemuProcess.pid, detail: 'booting' });
    this.deps.logs.append('app', 'info', `QEMU started (pid ${qemuProcess.pid}, ${kind === 'start' ? 'started by the user' : 'automatic restart'}).`);
    if (signal.aborted) return; // the stop that aborted us ends this QEMU (it is this.vm now)
    await this.checkReadiness(vm, signal);
  }

  /** Registers a QEMU process as the builder: tails its output and watches for its exit. */
  private attach(input: {
    process: QemuProcess;
    profile: BuilderProfile;
    record: BootRecord;
    keys: InstallKeys;
    fromOffsets: { console: number; qemu: number };
  }): RunningVm {
    this.consoleTail = [];
    const remember = (line: string): void => {
      this.consoleTail.push(line);
      if (this.consoleTail.length > CONSOLE_TAIL_LINES) this.consoleTail.splice(0, this.consoleTail.length - CONSOLE_TAIL_LINES);
    };
    const tailers = [
      new FileTailer({
        file: this.files.consoleLog,
        fromOffset: input.fromOffsets.console,
        onLines: (lines) => {
          for (const line of lines) {
            this.deps.logs.append('vm-console', 'info', line);
            remember(line);
          }
        },
      }),
      new FileTailer({
        file: this.files.qemuLog,
        fromOffset: input.fromOffsets.qemu,
        onLines: (lines) => {
          for (const line of lines) {
            this.deps.logs.append('qemu', 'warn', line);
            remember(`qemu: ${line}`);
          }
        },
      }),
    ];
    for (const tailer of tailers) tailer.start();
    const vm: RunningVm = {
      process: input.process,
      profile: input.profile,
      files: this.files,
      record: input.record,
      keys: input.keys,
      tailers,
      exit: null,
      expectedExit: false,
      qmp: null,
      session: null,
    };
    this.vm = vm;
    inBackground(input.process.exited.then((info) => this.onQemuExit(vm, info)), 'Handling the end of QEMU', this.logError);
    return vm;
  }

  private async checkReadiness(vm: RunningVm, signal: AbortSignal): Promise<void> {
    const ready = await waitUntilReady(
      {
        isQemuAlive: () => vm.exit === null,
        qmpSocket: vm.files.qmpSocket,
        ssh: {
          host: '127.0.0.1',
          port: vm.record.sshPort,
          username: vm.profile.sshUser,
          privateKey: vm.keys.clientPrivateKey,
          pinnedHostKeyBlob: vm.keys.pinnedHostKeyBlob,
        },
        readinessCommand: vm.profile.readinessCommand,
        bootMarker: vm.record.bootMarker,
        keysShare: vm.profile.keysShare?.(vm.files),
      },
      {
        signal,
        timeoutMs: this.timing.readyTimeoutMs,
        pollMs: this.timing.pollMs,
        report: (detail) => this.set({ detail }),
      },
    );
    if (signal.aborted || this.vm !== vm || vm.exit !== null) {
      ready.session.close();
      ready.qmp.close();
      return;
    }
    vm.qmp = ready.qmp;
    vm.session = ready.session;
    ready.session.onClose(() => {
      if (this.vm === vm && vm.session === ready.session && this.current.state === 'ready' && !vm.expectedExit && !this.closed) {
        this.deps.logs.append('ssh', 'warn', 'The ssh connection to the builder closed; checking it again.');
        this.recheck('ssh connection lost; checking the builder again');
      }
    });
    const took = this.now() - this.current.since;
    this.moveTo('ready', {
      detail: this.portNote ? `ready on port ${vm.record.sshPort} (${this.portNote})` : 'ready',
      error: null,
      restart: { ...this.current.restart, nextAt: null, gaveUp: false },
    });
    this.deps.logs.append('app', 'info', `Builder ready in ${(took / 1000).toFixed(1)} s (${ready.nixVersion}).`);
    this.deps.logs.append('ssh', 'info', `Connected to ${vm.profile.sshUser}@127.0.0.1:${vm.record.sshPort}, host key ${vm.keys.pinnedHostKey.fingerprint}.`);
    this.startReadyTimers(vm);
  }

  /** Ready -> starting: the guest stopped answering while QEMU runs; run the probes again. */
  private recheck(detail: string): void {
    const vm = this.vm;
    if (!vm || this.current.state !== 'ready') return;
    this.clearReadyTimers();
    vm.session?.close();
    vm.session = null;
    vm.qmp?.close();
    vm.qmp = null;
    this.moveTo('lost', { detail, guest: null });
    this.runBoot('recheck', (signal) => this.checkReadiness(vm, signal));
  }

  // -------------------------------------------------------------------------------------------
  // While ready
  // -------------------------------------------------------------------------------------------

  private startReadyTimers(vm: RunningVm): void {
    this.clearReadyTimers();
    this.statsFailures = 0;
    const sample = (): void => inBackground(this.sampleGuest(vm), "Reading the guest's stats", this.logError);
    sample();
    this.statsTimer = setInterval(sample, this.timing.statsIntervalMs);
    this.statsTimer.unref();
    this.stableTimer = setTimeout(() => {
      this.history = { attempts: 0, recentRestarts: [] };
      this.set({ restart: { attempts: 0, nextAt: null, gaveUp: false } });
    }, this.timing.stableAfterMs);
    this.stableTimer.unref();
  }

  private clearReadyTimers(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.statsTimer = null;
    this.stableTimer = null;
  }

  private async sampleGuest(vm: RunningVm): Promise<void> {
    const session = vm.session;
    if (!session || this.vm !== vm || this.current.state !== 'ready') return;
    try {
      const result = await session.exec(guestStatsCommand, { timeoutMs: 10_000 });
      if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr.trim()}`);
      if (this.vm !== vm || this.current.state !== 'ready') return;
      this.statsFailures = 0;
      this.set({ guest: parseGuestStats(result.stdout, this.now()) });
    } catch (error) {
      if (this.vm !== vm || this.current.state !== 'ready') return;
      this.statsFailures += 1;
      this.deps.logs.append('ssh', 'warn', `Reading the guest's stats failed (${this.statsFailures} in a row): ${(error as Error).message}`);
      if (this.statsFailures >= STATS_FAILURES_BEFORE_RECHECK && vm.exit === null) {
        this.recheck('the guest stopped answering; checking it again');
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Failures, exits and restarts
  // -------------------------------------------------------------------------------------------

  private async onQemuExit(vm: RunningVm, info: ExitInfo): Promise<void> {
    vm.exit = info;
    if (this.vm !== vm || vm.expectedExit || this.closed) return;
    // Nobody asked for this. Stop whatever was checking it, then report and maybe restart.
    this.boot?.abort.abort();
    const how =
      info.signal !== null ? `was killed by ${info.signal}` : info.exitCode !== null ? `exited with code ${info.exitCode}` : 'exited (no exit code: this core did not start it)';
    this.deps.logs.append('app', 'error', `QEMU (pid ${vm.process.pid}) ${how} while the builder was ${this.current.state}.`);
    // QEMU's own last words (e.g. "Failed to get write lock") say more than an exit code.
    await Promise.all(vm.tailers.map((tailer) => tailer.poll()));
    const qemuSaid = [...this.consoleTail].reverse().find((line) => line.startsWith('qemu: '));
    await this.fail(
      {
        message: `QEMU ${how} unexpectedly${qemuSaid ? `: ${qemuSaid.slice('qemu: '.length)}` : '.'}`,
        hint: 'The console lines below show the guest\'s last words; the builder restarts automatically unless the restart policy is off.',
        exitCode: info.exitCode,
        signal: info.signal,
        retryable: true,
      },
      vm,
    );
    this.scheduleRestart();
  }

  private async failBoot(failure: Failure, kind: BootKind): Promise<void> {
    const vm = this.vm;
    if (vm && vm.exit === null) {
      // A QEMU whose boot failed is ended, so a retry (or the user) starts clean.
      vm.expectedExit = true;
      await this.endQemu(vm);
    }
    await this.fail(failure, vm);
    // A refused host key or a port in use is never retried into success. A failed first start
    // by the user is shown, not retried: a crash loop after an upgrade would otherwise spin.
    if (failure.retryable && kind !== 'start') this.scheduleRestart();
  }

  private async fail(failure: Failure, vm: RunningVm | null): Promise<void> {
    this.clearReadyTimers();
    if (vm) {
      await this.releaseVm(vm);
      if (this.vm === vm) this.vm = null;
      // A state dir that turned read-only (or a full disk) must not keep the builder "ready"
      // with its QEMU gone: the failure is shown whatever happens to the cleanup.
      await removeRuntimeFiles(this.files).catch((error: unknown) => {
        this.logError(`Could not remove the dead VM's pid file, QMP socket or boot record in ${this.deps.paths.vmDir}: ${(error as Error).message}. Check that the state dir is writable; the next start replaces them.`);
      });
    }
    const error: VmError = {
      message: failure.message,
      hint: failure.hint,
      exitCode: failure.exitCode ?? null,
      signal: failure.signal ?? null,
      consoleTail: [...this.consoleTail],
      at: this.now(),
    };
    this.deps.logs.append('app', 'error', `Builder failed: ${failure.message}${failure.hint ? ` ${failure.hint}` : ''}`);
    if (this.current.state === 'stopping' || this.stopping) return; // the stop in progress decides the end state
    this.moveTo('fail', { error, detail: failure.message, pid: null, guest: null });
  }

  private scheduleRestart(): void {
    if (this.userStopped || this.closed || this.current.state !== 'error') return;
    const decision = planRestart(this.deps.getSettings().restartPolicy, this.history, this.now(), this.timing.backoff);
    if (decision.kind === 'disabled') {
      this.deps.logs.append('app', 'info', 'Automatic restarts are off; the builder stays stopped until you start it.');
      return;
    }
    if (decision.kind === 'give-up') {
      const previous = this.current.error;
      this.deps.logs.append('app', 'error', `${decision.message} ${decision.hint}`);
      this.set({
        detail: decision.message,
        restart: { attempts: this.history.attempts, nextAt: null, gaveUp: true },
        error: {
          message: `${decision.message} Last failure: ${previous?.message ?? 'unknown'}`,
          hint: decision.hint,
          exitCode: previous?.exitCode ?? null,
          signal: previous?.signal ?? null,
          consoleTail: previous?.consoleTail ?? [],
          at: this.now(),
        },
      });
      return;
    }
    this.deps.logs.append('app', 'info', `Restarting the builder in ${(decision.delayMs / 1000).toFixed(0)} s.`);
    this.set({ restart: { attempts: this.history.attempts, nextAt: decision.at, gaveUp: false } });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.userStopped || this.closed || this.current.state !== 'error') return;
      this.history = rememberRestart(this.history, this.now(), this.timing.backoff);
      this.deps.logs.append('app', 'info', `Automatic restart ${this.history.attempts} of at most ${this.deps.getSettings().restartPolicy.giveUpAfter}.`);
      void this.beginBoot('auto-restart', { restart: { attempts: this.history.attempts, nextAt: null, gaveUp: false } }).catch(() => undefined);
    }, decision.delayMs);
    this.restartTimer.unref();
  }

  /** Callers put `restart.nextAt: null` into the status change they make next. */
  private cancelRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  private describeFailure(error: unknown): Failure {
    if (error instanceof ReadinessError) {
      return { message: error.message, hint: error.hint, retryable: !error.fatal };
    }
    if (error instanceof BuilderBarError) {
      return { message: error.message, hint: error.hint, retryable: false };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { message: `Starting the builder failed: ${message}`, hint: 'The app log (Open Logs, source "app") has the details.', retryable: false };
  }

  // -------------------------------------------------------------------------------------------
  // Stopping
  // -------------------------------------------------------------------------------------------

  private async runStop(wasReady: boolean): Promise<Status> {
    const boot = this.boot;
    boot?.abort.abort();
    // A boot inside a profile's prepare() may take a moment to notice; it launches nothing after.
    if (boot) await Promise.race([boot.done, delay(2_000)]);
    const vm = this.vm;
    if (vm) {
      vm.expectedExit = true;
      this.clearReadyTimers();
      if (wasReady && !this.forceRequested && vm.exit === null) {
        this.set({ detail: 'asking the guest to power off' });
        await vm.session?.exec('sync', { timeoutMs: 5_000 }).catch(() => undefined);
        const powerdownSent = await this.qmpFor(vm)
          .then((qmp) => qmp.powerdown())
          .then(() => true)
          .catch(() => false);
        if (powerdownSent && (await exitsWithin(vm.process.exited, this.timing.gracefulStopMs))) {
          this.deps.logs.append('app', 'info', 'The guest powered off.');
        } else if (vm.exit === null) {
          this.deps.logs.append('app', 'warn', `The guest did not power off within ${this.timing.gracefulStopMs / 1000} s; ending QEMU.`);
        }
      }
      if (vm.exit === null) await this.endQemu(vm);
      if (vm.exit === null && isProcessAlive(vm.process.pid)) {
        await this.releaseVm(vm);
        this.vm = null;
        this.moveTo('fail', {
          detail: 'QEMU could not be stopped',
          error: {
            message: `QEMU (pid ${vm.process.pid}) did not exit even after SIGKILL.`,
            hint: `End it from Activity Monitor or with kill -9 ${vm.process.pid}.`,
            exitCode: null,
            signal: null,
            consoleTail: [...this.consoleTail],
            at: this.now(),
          },
        });
        return this.status();
      }
      await this.releaseVm(vm);
      if (this.vm === vm) this.vm = null;
    }
    await removeRuntimeFiles(this.files);
    this.moveTo('stopped', { detail: 'stopped', pid: null, guest: null, adopted: false, error: null });
    this.deps.logs.append('app', 'info', 'Builder stopped.');
    return this.status();
  }

  /** quit over QMP, then SIGKILL: QEMU ends now, whatever the guest is doing. */
  private async endQemu(vm: RunningVm): Promise<void> {
    vm.expectedExit = true;
    if (vm.exit !== null) return;
    await this.qmpFor(vm)
      .then((qmp) => qmp.quit(1_000))
      .catch(() => undefined);
    if (await exitsWithin(vm.process.exited, this.timing.forceStopMs)) return;
    this.deps.logs.append('app', 'warn', `QEMU (pid ${vm.process.pid}) did not quit; sending SIGKILL.`);
    signalProcess(vm.process.pid, 'SIGKILL');
    await exitsWithin(vm.process.exited, this.timing.forceStopMs);
  }

  private async qmpFor(vm: RunningVm): Promise<QmpClient> {
    if (vm.qmp && !vm.qmp.isClosed) return vm.qmp;
    vm.qmp = await QmpClient.connect(vm.files.qmpSocket, 1_000);
    return vm.qmp;
  }

  /** Lets go of a VM's connections and output (the process itself is handled by the caller). */
  private async releaseVm(vm: RunningVm): Promise<void> {
    vm.session?.close();
    vm.session = null;
    vm.qmp?.close();
    vm.qmp = null;
    await Promise.all(vm.tailers.map((tailer) => tailer.stop()));
  }

  // -------------------------------------------------------------------------------------------
  // State
  // -------------------------------------------------------------------------------------------

  /** What the state machine says about an event right now; refusals become `BuilderBarError`s. */
  private check(event: VmEvent): 'move' | 'stay' {
    const step = transition(this.current.state, event);
    if (step.kind === 'refuse') {
      throw new BuilderBarError(step.code === 'busy' ? 'busy' : 'internal', step.reason, step.code === 'busy' ? 'Wait until it has stopped, then start it.' : null);
    }
    return step.kind;
  }

  private moveTo(event: VmEvent, patch: Partial<Status>): void {
    const step = transition(this.current.state, event);
    if (step.kind === 'refuse') throw new BuilderBarError('internal', `Supervisor bug: ${step.reason}.`, null);
    if (step.kind === 'stay') {
      this.set(patch);
      return;
    }
    if (step.to !== this.current.state) {
      this.deps.logs.append('app', 'debug', `Builder state: ${this.current.state} -> ${step.to} (${event}).`);
    }
    this.set({ ...patch, state: step.to, since: this.now() });
  }

  private set(patch: Partial<Status>): void {
    this.current = { ...this.current, ...patch };
    const snapshot = this.status();
    for (const listener of this.listeners) listener(snapshot);
  }

  private async waitForOutcome(timeoutMs?: number): Promise<void> {
    const outcome = new Promise<void>((resolve) => {
      const check = (status: Status): boolean => status.state === 'ready' || status.state === 'error' || status.state === 'stopped';
      if (check(this.current)) {
        resolve();
        return;
      }
      const unsubscribe = this.onStatus((status) => {
        if (check(status)) {
          unsubscribe();
          resolve();
        }
      });
    });
    if (timeoutMs !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        outcome.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        throw new BuilderBarError(
          'timeout',
          `The builder was not ready within ${Math.round(timeoutMs / 1000)} s (${this.current.detail}).`,
          'It keeps starting in the background; check its status again shortly.',
        );
      }
    } else {
      await outcome;
    }
    const state = this.current.state;
    if (state === 'error') {
      throw new BuilderBarError('vm-failed', this.current.error?.message ?? 'The builder failed to start.', this.current.error?.hint ?? null);
    }
    if (state === 'stopped') throw new BuilderBarError('vm-failed', 'The builder was stopped before it became ready.', null);
  }

  private assertOpen(): void {
    if (this.closed) throw new BuilderBarError('internal', 'The builder supervisor is closed.', null);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

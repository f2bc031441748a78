/**
 * The builder supervisor: the only thing that moves the builder's state, and the one-operation
 * rule that keeps a start, a stop and a check from interleaving. A start during a stop is
 * refused as `busy`; a start during a start joins it; a stop during a start aborts the boot; a
 * force stop during a graceful stop ends QEMU at once. Exits nobody asked for are restarted with
 * backoff and a visible give-up (restartPlanner.ts decides when). Every change is announced
 * through `onStatus`.
 *
 * What happens to a VM is in the files next to this one: booting one (bootBuilder.ts), adopting
 * the one an earlier core left running (adoptBuilder.ts), and the running VM itself with its
 * connections, stats and ways to end (runningVm.ts). The supervisor hands each flow the VM it
 * works on; its own reference to "the VM this core owns" is set in `own` and cleared in
 * `release`, and read only by the commands that come from outside (stop, exec, a wake-up check,
 * close).
 */
import type { Status } from '../../ipc/contract.js';
import { initialStatus } from '../../ipc/initialStatus.js';
import { BuilderBarError } from '../errors.js';
import { inBackground } from '../util/inBackground.js';
import { adoptBuilder } from './adoptBuilder.js';
import { AutoRestarts } from './autoRestarts.js';
import { BuilderBooter } from './bootBuilder.js';
import { environmentTools } from '../host/toolSearchPath.js';
import { describeFailure, howQemuEnded, toVmError, unexpectedExit, unkillableQemu, type Failure } from './builderFailure.js';
import { BuilderStatus } from './builderStatus.js';
import { diskSizeGiB } from './diskImage.js';
import type { VmFiles } from './profile.js';
import { isProcessAlive, type ExitInfo } from './qemuProcess.js';
import { ReadinessCancelled } from './readiness.js';
import type { RunningVm } from './runningVm.js';
import type { ExecResult, SshSession } from './sshSession.js';
import { defaultTiming, type StartOptions, type SupervisorDeps, type SupervisorTiming } from './supervisorOptions.js';
import { stallWatchFor, underStallWatchdog } from './stallWatchdog.js';
import { removeRuntimeFiles, vmFilesIn } from './vmFiles.js';

export { defaultTiming, type StartOptions, type SupervisorDeps, type SupervisorTiming } from './supervisorOptions.js';

/** The operation in progress other than a stop: a boot, an adoption's check or a recheck. */
interface BootRun {
  abort: AbortController;
  done: Promise<void>;
  /** The VM this run started or checks, once there is one: a failed run ends it. */
  vm: RunningVm | null;
}

type BootKind = 'start' | 'auto-restart' | 'adopt' | 'recheck';

export class BuilderSupervisor {
  private readonly board: BuilderStatus;
  private readonly timing: SupervisorTiming;
  private readonly now: () => number;
  private readonly platform: NodeJS.Platform;
  private readonly files: VmFiles;
  private readonly booter: BuilderBooter;

  /** The VM this core owns; see the header for who reads it. */
  private vm: RunningVm | null = null;
  private boot: BootRun | null = null;
  private stopping: Promise<Status> | null = null;
  private forceRequested = false;
  private userStopped = false;
  private closed = false;
  private readonly restarts: AutoRestarts;
  private readonly logError = (text: string): void => this.deps.logs.append('app', 'error', text);

  constructor(private readonly deps: SupervisorDeps) {
    this.timing = { ...defaultTiming, ...deps.timing };
    this.now = deps.now ?? Date.now;
    this.platform = deps.platform ?? process.platform;
    this.files = vmFilesIn(deps.paths.vmDir);
    this.board = new BuilderStatus(initialStatus(deps.getSettings().profile, this.now()), this.now, deps.logs);
    this.restarts = new AutoRestarts(this.timing, this.now, deps.logs);
    this.booter = new BuilderBooter({ ...deps, files: this.files, platform: this.platform, now: this.now, tools: deps.tools ?? environmentTools() });
  }

  // -------------------------------------------------------------------------------------------
  // Public API
  // -------------------------------------------------------------------------------------------

  status(): Status {
    return this.board.snapshot();
  }

  onStatus(listener: (status: Status) => void): () => void {
    return this.board.onChange(listener);
  }

  async start(options: StartOptions = {}): Promise<Status> {
    this.assertOpen();
    const step = this.board.check('start');
    if (step === 'move') {
      this.userStopped = false;
      this.restarts.reset();
      const preflight = this.beginBoot('start', { restart: { attempts: 0, nextAt: null, gaveUp: false } });
      // Refusals that need no boot (port in use, no QEMU, bad keys) are this call's error even
      // without `wait`, so the CLI and the UI can say so at once.
      await preflight;
    }
    if (options.wait && this.board.current.state !== 'ready') await this.board.waitForOutcome(options.timeoutMs);
    return this.status();
  }

  async stop(options: { force?: boolean } = {}): Promise<Status> {
    const force = options.force ?? false;
    if (this.stopping) {
      if (force && !this.forceRequested) {
        this.forceRequested = true;
        this.deps.logs.append('app', 'info', 'Force stop requested while stopping: ending QEMU now.');
        await this.vm?.end(this.timing.forceStopMs);
      }
      return this.stopping;
    }
    const wasState = this.board.current.state;
    this.userStopped = true;
    this.restarts.cancel();
    if (this.board.check('stop') === 'stay') return this.status();
    this.forceRequested = force;
    this.deps.logs.append('app', 'info', `Stopping the builder${force ? ' (forced)' : ''} from state ${wasState}.`);
    this.board.moveTo('stop', { detail: force ? 'ending QEMU' : 'stopping', restart: { ...this.board.current.restart, nextAt: null } });
    this.stopping = this.runStop(wasState === 'ready').finally(() => {
      this.stopping = null;
      this.forceRequested = false;
    });
    return this.stopping;
  }

  async restart(): Promise<Status> {
    this.assertOpen();
    if (this.board.current.state !== 'stopped') await this.stop({});
    return this.start({});
  }

  /** At core start: adopt a VM an earlier core left running, or clean up what it left behind. */
  async recover(): Promise<void> {
    this.assertOpen();
    const vm = await adoptBuilder({ ...this.deps, files: this.files, platform: this.platform, settingsProfile: this.deps.getSettings().profile, forceStopMs: this.timing.forceStopMs });
    if (vm) {
      this.own(vm);
      this.board.moveTo('adopt', {
        profile: vm.profile.name,
        detail: 'checking the adopted builder',
        pid: vm.process.pid,
        sshPort: vm.record.sshPort,
        accelerator: vm.record.accelerator,
        hostKey: vm.keys.pinnedHostKey,
        adopted: true,
        error: null,
      });
      this.runBoot('adopt', vm, (run) => this.checkReadiness(vm, run.abort.signal));
    }
    if (this.board.current.state === 'stopped') inBackground(this.booter.warmUp(this.deps.getSettings().profile), 'Preparing the builder profile', this.logError);
  }

  /** After the system wakes up: check the builder again; a failure counts as unplanned. */
  async probeAgain(): Promise<void> {
    const vm = this.vm;
    if (this.closed || this.board.current.state !== 'ready' || !vm) return;
    this.recheck(vm, 'checking the builder after wake-up');
    await this.boot?.done;
  }

  /**
   * App quit. `stopBuilder` stops the VM gracefully; otherwise the core lets go of it: QEMU keeps
   * running with its pid file and boot record for the next core to adopt.
   */
  async close(options: { stopBuilder: boolean }): Promise<void> {
    if (this.closed) return;
    if (options.stopBuilder && this.board.current.state !== 'stopped') await this.stop({}).catch(() => undefined);
    this.closed = true;
    this.restarts.cancel();
    this.restarts.stopStableClock();
    const boot = this.boot;
    boot?.abort.abort();
    if (boot) await boot.done;
    const vm = this.vm;
    if (vm) {
      this.vm = null;
      await vm.leaveRunning();
      this.deps.logs.append('app', 'info', `Left the builder running (QEMU pid ${vm.process.pid}) for the next core to adopt.`);
    }
    this.board.removeListeners();
  }

  /** Runs a command in the guest over the ready ssh connection (the build queue's door). */
  async exec(command: string, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    return this.readySession().exec(command, options);
  }

  /** Like `exec`, through the connection's one guest shell: for small commands run every few seconds. */
  async poll(command: string, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    return this.readySession().run(command, options);
  }

  private readySession(): SshSession {
    const session = this.vm?.readySession;
    if (this.board.current.state !== 'ready' || !session) {
      throw new BuilderBarError('vm-failed', `The builder is not ready (it is ${this.board.current.state}).`, 'Start the builder and wait until it shows Ready.');
    }
    return session;
  }

  /** The existing disk's virtual size (qcow2 header), or null when there is none yet. */
  diskSizeGiB(): Promise<number | null> {
    return diskSizeGiB(this.files.diskImage);
  }

  /** Resolves once no start, stop or check is in progress. */
  async settled(): Promise<Status> {
    while (this.boot || this.stopping) {
      await (this.stopping ?? this.boot?.done);
    }
    return this.status();
  }

  // -------------------------------------------------------------------------------------------
  // The VM this core owns
  // -------------------------------------------------------------------------------------------

  /** Boot and adoption hand their VM over here: from now on its exit is watched. */
  private own(vm: RunningVm): void {
    this.vm = vm;
    inBackground(vm.exited.then((info) => this.onQemuExit(vm, info)), 'Handling the end of QEMU', this.logError);
  }

  /** Lets go of a VM (its process is ended or left running by the caller). */
  private async release(vm: RunningVm): Promise<void> {
    if (this.vm === vm) this.vm = null;
    await vm.release();
  }

  // -------------------------------------------------------------------------------------------
  // Booting and checking
  // -------------------------------------------------------------------------------------------

  /** Starts a boot in the background; resolves once QEMU is about to be launched (or the preflight failed). */
  private beginBoot(kind: 'start' | 'auto-restart', patch: Partial<Status>): Promise<void> {
    let preflightDone!: () => void;
    let preflightFailed!: (error: unknown) => void;
    const preflight = new Promise<void>((resolve, reject) => {
      preflightDone = resolve;
      preflightFailed = reject;
    });
    this.board.moveTo(kind === 'start' ? 'start' : 'auto-restart', {
      detail: 'preparing',
      error: kind === 'start' ? null : this.board.current.error,
      adopted: false,
      guest: null,
      ...patch,
    });
    this.runBoot(kind, null, (run) => this.launch(kind, run, preflightDone), (error) => preflightFailed(error));
    // The preflight settles with the boot at the latest.
    this.boot?.done.then(() => preflightDone(), preflightFailed);
    return preflight;
  }

  private runBoot(kind: BootKind, vm: RunningVm | null, body: (run: BootRun) => Promise<void>, onFailure?: (error: unknown) => void): void {
    const abort = new AbortController();
    const run: BootRun = { abort, vm, done: Promise.resolve() };
    run.done = Promise.resolve().then(async () => {
      try {
        await body(run);
      } catch (error) {
        if (abort.signal.aborted || error instanceof ReadinessCancelled) return;
        const failure = describeFailure(error);
        onFailure?.(error instanceof BuilderBarError ? error : new BuilderBarError('vm-failed', failure.message, failure.hint));
        await this.failBoot(failure, kind, run.vm && !run.vm.released ? run.vm : null);
      } finally {
        if (this.boot === run) this.boot = null;
      }
    });
    this.boot = run;
  }

  private async launch(kind: 'start' | 'auto-restart', run: BootRun, preflightDone: () => void): Promise<void> {
    const signal = run.abort.signal;
    const vm = await this.booter.boot({
      kind,
      settings: this.deps.getSettings(),
      signal,
      update: (patch) => this.board.set(patch),
      preflightPassed: preflightDone,
      spawned: (spawned) => {
        run.vm = spawned;
        this.own(spawned);
      },
    });
    if (!vm || signal.aborted) return; // the stop that aborted us ends this QEMU (this core owns it now)
    const watch = stallWatchFor({ restored: vm.restored, accelerator: vm.record.accelerator.name }, this.timing);
    if (!watch) return this.checkReadiness(vm, signal);
    if (!(await this.readyUnlessStalled(vm, signal, watch.limitMs)) || signal.aborted) return;
    await this.booter.cureStall(vm.profile, watch);
    await vm.end(this.timing.forceStopMs);
    if (signal.aborted) return;
    await this.launch(kind, run, () => undefined);
  }

  /** Readiness with a watchdog of `limitMs`; true when the guest stalled (nothing else ended it). */
  private async readyUnlessStalled(vm: RunningVm, signal: AbortSignal, limitMs: number): Promise<boolean> {
    const { stalled } = await underStallWatchdog(limitMs, signal, (watched) => this.checkReadiness(vm, watched));
    return stalled && !signal.aborted && this.board.current.state !== 'ready' && vm.exit === null;
  }

  private async checkReadiness(vm: RunningVm, signal: AbortSignal): Promise<void> {
    const nixVersion = await vm.waitUntilReady(
      {
        signal,
        timeoutMs: this.timing.readyTimeoutMs,
        pollMs: this.timing.pollMs,
        // Each probe's start in the log too: where a start's seconds went, read off the timestamps.
        report: (detail) => {
          this.board.set({ detail });
          this.deps.logs.append('app', 'debug', `Readiness: ${detail}.`);
        },
      },
      () => {
        if (this.board.current.state !== 'ready' || this.closed) return;
        this.deps.logs.append('ssh', 'warn', 'The ssh connection to the builder closed; checking it again.');
        this.recheck(vm, 'ssh connection lost; checking the builder again');
      },
    );
    if (nixVersion === null) return;
    const took = this.now() - this.board.current.since;
    this.board.moveTo('ready', {
      detail: vm.portNote ? `ready on port ${vm.record.sshPort} (${vm.portNote})` : 'ready',
      error: null,
      restart: { ...this.board.current.restart, nextAt: null, gaveUp: false },
    });
    this.deps.logs.append('app', 'info', `Builder ready in ${(took / 1000).toFixed(1)} s (${nixVersion}).`);
    this.deps.logs.append('ssh', 'info', `Connected to ${vm.profile.sshUser}@127.0.0.1:${vm.record.sshPort}, host key ${vm.keys.pinnedHostKey.fingerprint}.`);
    this.whileReady(vm);
  }

  /** Ready -> starting: the guest stopped answering while QEMU runs; run the probes again. */
  private recheck(vm: RunningVm, detail: string): void {
    // An exited QEMU is onQemuExit's to report (signal, console lines); a recheck started by its
    // ssh connection closing would fail first, with neither, and take the status.
    if (vm.released || vm.exit !== null || this.board.current.state !== 'ready') return;
    this.restarts.stopStableClock();
    vm.dropConnections();
    this.board.moveTo('lost', { detail, guest: null });
    this.runBoot('recheck', vm, (run) => this.checkReadiness(vm, run.abort.signal));
  }

  /** The guest's stats on the status, and the restart counter reset once the builder stayed up. */
  private whileReady(vm: RunningVm): void {
    vm.watchStats(this.timing.statsIntervalMs, {
      now: this.now,
      onStats: (guest) => {
        if (this.board.current.state === 'ready') this.board.set({ guest });
      },
      onSilent: () => this.recheck(vm, 'the guest stopped answering; checking it again'),
    });
    this.restarts.startStableClock(() => this.board.set({ restart: { attempts: 0, nextAt: null, gaveUp: false } }));
  }

  // -------------------------------------------------------------------------------------------
  // Failures, exits and restarts
  // -------------------------------------------------------------------------------------------

  private async onQemuExit(vm: RunningVm, info: ExitInfo): Promise<void> {
    if (vm.released || vm.endedOnPurpose || this.closed) return;
    // Nobody asked for this. Stop whatever was checking it, then report and maybe restart.
    this.boot?.abort.abort();
    this.deps.logs.append('app', 'error', `QEMU (pid ${vm.process.pid}) ${howQemuEnded(info)} while the builder was ${this.board.current.state}.`);
    // A guest that ends by itself while it comes back from the snapshot (a kernel panic ends
    // QEMU with code 0: panic=-1, -no-reboot) would do so again from the same state, restart
    // after restart. A signal came from outside and says nothing about the snapshot: kept.
    if (vm.restored && info.signal === null && this.board.current.state === 'starting') {
      await this.booter.dropSnapshot('The guest ended while it came back from the snapshot: dropped the snapshot, so the next start boots cold (and makes a new one).');
    }
    await this.fail(unexpectedExit(info, await vm.lastQemuWords()), vm);
    this.scheduleRestart();
  }

  private async failBoot(failure: Failure, kind: BootKind, vm: RunningVm | null): Promise<void> {
    // A QEMU whose boot failed is ended, so a retry (or the user) starts clean.
    if (vm && vm.exit === null) await vm.end(this.timing.forceStopMs);
    await this.fail(failure, vm);
    // A refused host key or a port in use is never retried into success. A failed first start
    // by the user is shown, not retried: a crash loop after an upgrade would otherwise spin.
    if (failure.retryable && kind !== 'start') this.scheduleRestart();
  }

  private async fail(failure: Failure, vm: RunningVm | null): Promise<void> {
    this.restarts.stopStableClock();
    if (vm) {
      await this.release(vm);
      // A state dir that turned read-only (or a full disk) must not keep the builder "ready"
      // with its QEMU gone: the failure is shown whatever happens to the cleanup.
      await removeRuntimeFiles(this.files).catch((error: unknown) => {
        this.logError(`Could not remove the dead VM's pid file, QMP socket or boot record in ${this.deps.paths.vmDir}: ${(error as Error).message}. Check that the state dir is writable; the next start replaces them.`);
      });
    }
    const error = toVmError(failure, vm?.consoleTail ?? [], this.now());
    this.deps.logs.append('app', 'error', `Builder failed: ${failure.message}${failure.hint ? ` ${failure.hint}` : ''}`);
    if (this.board.current.state === 'stopping' || this.stopping) return; // the stop in progress decides the end state
    this.board.moveTo('fail', { error, detail: failure.message, pid: null, guest: null });
  }

  private scheduleRestart(): void {
    const wanted = (): boolean => !this.userStopped && !this.closed && this.board.current.state === 'error';
    if (!wanted()) return;
    const shown = this.restarts.schedule(this.deps.getSettings().restartPolicy, this.board.current.error, wanted, (attempt) => {
      void this.beginBoot('auto-restart', { restart: { attempts: attempt, nextAt: null, gaveUp: false } }).catch(() => undefined);
    });
    if (shown) this.board.set(shown);
  }

  // -------------------------------------------------------------------------------------------
  // Stopping
  // -------------------------------------------------------------------------------------------

  private async runStop(wasReady: boolean): Promise<Status> {
    const boot = this.boot;
    boot?.abort.abort();
    // A boot inside a profile's prepare() may take a moment to notice; it launches nothing after.
    if (boot) await Promise.race([boot.done, delay(2_000)]);
    // Read after the wait: a boot may have handed over the QEMU it spawned meanwhile.
    const vm = this.vm;
    if (vm) {
      this.restarts.stopStableClock();
      if (wasReady && !this.forceRequested && vm.exit === null) {
        this.board.set({ detail: 'asking the guest to power off' });
        await vm.powerOff(this.timing.gracefulStopMs);
      }
      await vm.end(this.timing.forceStopMs);
      await this.release(vm);
      if (vm.exit === null && isProcessAlive(vm.process.pid)) {
        this.board.moveTo('fail', { detail: 'QEMU could not be stopped', error: unkillableQemu(vm.process.pid, vm.consoleTail, this.now()) });
        return this.status();
      }
    }
    await removeRuntimeFiles(this.files);
    this.board.moveTo('stopped', { detail: 'stopped', pid: null, guest: null, adopted: false, error: null });
    this.deps.logs.append('app', 'info', 'Builder stopped.');
    return this.status();
  }

  private assertOpen(): void {
    if (this.closed) throw new BuilderBarError('internal', 'The builder supervisor is closed.', null);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

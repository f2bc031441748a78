/**
 * Booting a builder: everything from "start" to a QEMU process running the guest. First the
 * preflight, which refuses what no boot can fix (the profile, the keys, a port in use, no QEMU)
 * before anything is launched, so a click gets its answer at once; then the profile's `prepare`
 * (images, disk, keys), the accelerator (probed with the QEMU that will run: the image's own for
 * nixpkgs' builder), fresh runtime files and the spawn.
 *
 * It moves no state: it reports progress as status fields and hands the VM over the moment QEMU
 * exists, so a stop that arrives during the last steps finds it and ends it. Readiness is the
 * supervisor's next step, the same for a fresh boot and an adopted VM.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Accelerator, ProfileName, Settings, Status } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from '../logs/logSink.js';
import type { StatePaths } from '../paths.js';
import { shellQuote } from '../nix/wiringTarget.js';
import { ensurePrivateDir } from '../util/atomicWrite.js';
import { installHint, QEMU_SYSTEM_AARCH64, QEMU_SYSTEM_X86_64 } from './guest-image/hostTools.js';
import type { ToolFinder } from '../host/toolSearchPath.js';
import { chooseHostPort } from './hostPort.js';
import { describeSetAsideKeys, ensureInstallKeys, hostKeyPolicyFor, type InstallKeys } from './keyStore.js';
import type { BuilderProfile, HostKeyPolicy, LaunchPlan, PreparedGuest, VmFiles } from './profile.js';
import { exitsWithin, spawnQemu } from './qemuProcess.js';
import { RunningVm } from './runningVm.js';
import type { StallWatch } from './stallWatchdog.js';
import { planSnapshot } from './snapshot/snapshotPlan.js';
import { letGuestGo, RestoreFailed, restoreGuest, type GuestStartInput } from './snapshot/startGuest.js';
import { inBackground } from '../util/inBackground.js';
import { dropSnapshotSaying, snapshotFilesIn } from './snapshot/snapshotStore.js';
import { removeRuntimeFiles, RUN_DIR_FILES, writeBootRecord, type BootRecord } from './vmFiles.js';

/** What every boot of one supervisor shares. */
export interface BootHost {
  paths: StatePaths;
  files: VmFiles;
  platform: NodeJS.Platform;
  /** The core's search path: the profile's QEMU is found there. */
  tools: Pick<ToolFinder, 'find'>;
  now: () => number;
  logs: LogSink;
  resolveProfile: (name: ProfileName) => BuilderProfile | Promise<BuilderProfile>;
  /** Probes kvm/hvf with this QEMU binary and falls back to tcg, saying why. */
  chooseAccelerator: (profile: BuilderProfile, qemuBinary: string) => Promise<Accelerator>;
}

/** One boot. */
export interface BootRequest {
  /** Who asked, for the log. */
  kind: 'start' | 'auto-restart';
  /** Read once: a boot runs with the settings it started with. */
  settings: Settings;
  /** A stop aborts the boot; it launches nothing after. */
  signal: AbortSignal;
  /** Progress and what is known so far, for the status. */
  update: (patch: Partial<Status>) => void;
  /** Called once the preflight passed: what follows may take minutes. */
  preflightPassed: () => void;
  /** Called with the VM as soon as QEMU runs, before anything else is awaited. */
  spawned: (vm: RunningVm) => void;
}

const knownQemus = [QEMU_SYSTEM_X86_64, QEMU_SYSTEM_AARCH64];

/** The profile's QEMU on the search path, or the error that says it is missing and how to install it. */
export async function findQemu(profile: BuilderProfile, platform: NodeJS.Platform, tools: Pick<ToolFinder, 'find'>): Promise<string> {
  const found = await tools.find(profile.qemuBinaryName);
  if (found) return found.path;
  const tool = knownQemus.find((candidate) => candidate.name === profile.qemuBinaryName);
  throw new BuilderBarError(
    'vm-failed',
    `${profile.qemuBinaryName} was not found on PATH, the login shell's PATH or in Nix's profile directories.`,
    `Install QEMU, then start again.${tool ? ` ${installHint(tool, platform)}` : ''}`,
  );
}

/** The QEMU a guest that brings its own was prepared with. */
function preparedQemu(profile: BuilderProfile, extra: Record<string, string>): string {
  const qemu = extra.qemuBinary;
  if (!qemu) throw new BuilderBarError('internal', `The ${profile.name} profile prepared no QEMU of its own.`);
  return qemu;
}

/**
 * The launch as one app-log line, written at every start: the run script with the environment it
 * is given (NIX_DISK_IMAGE, TMPDIR, KEYS, QEMU_OPTS, QEMU_NET_OPTS, QEMU_KERNEL_PARAMS, …), as a
 * command someone could run again in `cwd` from a shell, since the script, not Builder Bar,
 * decides QEMU's argv and the environment is what changes from one start to the next.
 */
export function launchLine(plan: LaunchPlan): string {
  const env = Object.entries(plan.env).map(([name, value]) => `${name}=${shellQuote(value)}`);
  return `Launching QEMU in ${shellQuote(plan.cwd)}: ${[...env, ...[plan.command, ...plan.args].map(shellQuote)].join(' ')}`;
}

/** Boots builders for one supervisor, and remembers each profile's accelerator. */
export class BuilderBooter {
  /**
   * The accelerator probe starts a throwaway QEMU and may wait seconds for a hanging kvm; its
   * answer does not change while the app runs, so it is asked once per profile (and early, in
   * `warmUp`, so the first click on Start does not wait for it).
   */
  private readonly accelerators = new Map<ProfileName, Promise<Accelerator>>();

  constructor(private readonly host: BootHost) {}

  /** Probes the profile's accelerator ahead of the first start; a failure waits for that start to be told. */
  async warmUp(profileName: ProfileName): Promise<void> {
    try {
      const profile = await this.host.resolveProfile(profileName);
      // A QEMU that comes with the image is probed at the first start, once the image is there.
      if (!profile.qemuFromImage) await this.acceleratorFor(profile, await findQemu(profile, this.host.platform, this.host.tools));
    } catch {
      // A missing QEMU or an unsupported profile is reported when the user starts the builder.
    }
  }

  /**
   * Runs the preflight, prepares the guest and spawns QEMU. Resolves with the running VM (not yet
   * ready), or null when the boot was aborted before QEMU was spawned; throws what failed.
   */
  boot(request: BootRequest): Promise<RunningVm | null> {
    return bootBuilder({ ...this.host, chooseAccelerator: (profile, qemuBinary) => this.acceleratorFor(profile, qemuBinary) }, request);
  }

  /** Drops the builder's snapshot, which did not come back to life, saying why: the next boot is cold and makes a new one. */
  dropSnapshot(why: string): Promise<void> {
    return dropSnapshotSaying(snapshotFilesIn(this.host.files.vmDir), (level, text) => this.host.logs.append('app', level, text), why);
  }

  /** What a stalled start leaves behind so that the next launch differs: no snapshot, or TCG. */
  async cureStall(profile: BuilderProfile, watch: StallWatch): Promise<void> {
    if (watch.cure === 'drop-snapshot') {
      // Whatever keeps a restored guest silent (its state, the accelerator) is not worth a
      // restart loop on the same snapshot: boot cold now, which also makes a new one.
      return this.dropSnapshot(`${watch.why}: dropped the snapshot; ending it and booting cold (a new snapshot is taken on the way).`);
    }
    // The accelerator passed its probe but the real guest does not run under it (kvm on some
    // nested-virtualisation hosts runs a tiny guest and then stalls the kernel): TCG from now on.
    this.host.logs.append('app', 'warn', `${watch.why}: ending it and starting again under TCG.`);
    this.distrustAccelerator(profile, `${watch.why}; using TCG (slow)`);
  }

  /** From now on this core runs the profile under TCG, saying why (the accelerator stalled the real guest). */
  distrustAccelerator(profile: BuilderProfile, reason: string): void {
    this.accelerators.set(profile.name, Promise.resolve({ name: 'tcg', reason }));
  }

  private acceleratorFor(profile: BuilderProfile, qemuBinary: string): Promise<Accelerator> {
    let choice = this.accelerators.get(profile.name);
    if (!choice) {
      choice = this.host.chooseAccelerator(profile, qemuBinary);
      this.accelerators.set(profile.name, choice);
      choice.catch(() => this.accelerators.delete(profile.name));
    }
    return choice;
  }
}

async function bootBuilder(host: BootHost, request: BootRequest): Promise<RunningVm | null> {
  const { settings, signal, update } = request;
  const profile = await host.resolveProfile(settings.profile);
  update({ profile: profile.name, detail: 'preparing keys' });
  const hostKeyPolicy = await hostKeyPolicyFor(profile, host.files);
  const keys = await ensureInstallKeys(host.paths.keysDir, profile, hostKeyPolicy);
  const keysRemade = describeSetAsideKeys(keys.setAside);
  if (keysRemade) host.logs.append('app', 'warn', keysRemade);
  update({ hostKey: keys.pinnedHostKey, detail: 'checking the host port' });
  const chosen = await chooseHostPort(settings.hostPort, settings.hostPortAuto, { platform: host.platform });
  if (chosen.note) host.logs.append('app', 'warn', chosen.note);
  update({ sshPort: chosen.port, detail: chosen.note ?? 'finding QEMU' });
  // A guest that brings its own QEMU names it once prepared; any other needs one on PATH, and
  // hears at once when there is none (before an image build of minutes).
  const qemuOnPath = profile.qemuFromImage ? null : await findQemu(profile, host.platform, host.tools);
  request.preflightPassed();
  if (signal.aborted) return null;

  await ensurePrivateDir(host.files.vmDir);
  const bootMarker = `builder-bar-boot-${randomBytes(12).toString('hex')}`;
  update({ detail: 'preparing the guest' });
  const prepareStarted = host.now();
  const prepared = await profile.prepare({
    cacheDir: host.paths.imagesDir,
    files: host.files,
    keys: { clientPublicKey: keys.clientPublicKey, hostPrivateKey: keys.hostPrivateKey },
    bootMarker,
    diskGiB: settings.diskGiB,
    report: (message) => {
      update({ detail: message });
      host.logs.append('app', 'info', message);
    },
    signal,
  });
  if (signal.aborted) return null;
  const qemuBinary = qemuOnPath ?? preparedQemu(profile, prepared.extra);

  update({ detail: 'choosing an accelerator' });
  const accelerator = await host.chooseAccelerator(profile, qemuBinary);
  update({ accelerator });
  host.logs.append('app', 'info', `Accelerator: ${accelerator.name} (${accelerator.reason}).`);
  if (signal.aborted) return null;

  // A guest with a control port may be restored from its snapshot (snapshot/); else it boots cold.
  const snapshot = profile.controlPort
    ? await planSnapshot({ vmDir: host.files.vmDir, profile: profile.name, settings, qemuBinary, accelerator: accelerator.name, prepared, hostKey: keys.pinnedHostKey.fingerprint, say: (level, text) => host.logs.append('app', level, text) })
    : null;
  let restore = snapshot?.restore ?? null;
  for (;;) {
    const vm = await spawnGuest(host, request, { profile, qemuBinary, accelerator, settings, port: chosen, prepared, bootMarker, keys, hostKeyPolicy, restore: restore !== null, prepareStarted });
    if (!vm || !snapshot) return vm;
    const guest: GuestStartInput = {
      qmpSocket: path.join(host.files.vmDir, RUN_DIR_FILES.snapshotQmpSocket),
      controlSocket: path.join(host.files.vmDir, RUN_DIR_FILES.controlSocket),
      snapshot: snapshot.files,
      marker: bootMarker,
      restore,
      saveWith: restore ? null : snapshot.keys,
      isQemuAlive: () => vm.exit === null,
      qemuEnded: async (withinMs) => ((await exitsWithin(vm.exited, withinMs)) ? vm.exit : null),
      allowingRefusal: (load) => vm.allowingRefusal(load),
      now: host.now,
      say: (level, text) => host.logs.append('app', level, text),
      report: (detail) => {
        update({ detail });
        host.logs.append('app', 'debug', `Guest start: ${detail}.`);
      },
      signal,
    };
    try {
      if (restore) {
        await restoreGuest(guest);
        host.logs.append('app', 'info', `Restored the builder's snapshot of ${new Date(restore.savedAt).toISOString()}.`);
      }
      // Beside readiness: the supervisor's probes (and their watchdog) wait for what follows.
      const went = letGuestGo(guest);
      // A restored guest is never saved again, and its sshd listens already: readiness greets
      // and exchanges keys while the guest mounts the keys share and /nix. A cold boot may
      // still be saved at its snapshot line, so nothing connects before it went on.
      vm.sshAfter(restore ? Promise.resolve() : went);
      inBackground(
        went.then(() => host.logs.append('app', 'debug', 'Guest start: the guest answered its go.'), (error: unknown) => {
          if (!signal.aborted && vm.exit === null) throw error;
        }),
        'Letting the guest go on at its snapshot line',
        (text) => host.logs.append('app', 'error', text),
      );
      return vm;
    } catch (error) {
      if (!(error instanceof RestoreFailed) || signal.aborted) throw error;
      // A snapshot QEMU cannot load, or whose bytes do not match its record, is never tried again.
      await dropSnapshotSaying(snapshot.files, guest.say, `Could not restore the builder's snapshot: ${error.message}. Dropped it; booting cold (a new snapshot is taken on the way).`);
      await vm.end(RESTORE_FAILED_END_MS);
      await vm.release();
      restore = null;
      if (signal.aborted) return null;
    }
  }
}

/** How long a QEMU whose restore failed may take to quit before SIGKILL. */
const RESTORE_FAILED_END_MS = 5_000;

interface SpawnInput {
  profile: BuilderProfile;
  qemuBinary: string;
  accelerator: Accelerator;
  settings: Settings;
  port: { port: number; note: string | null };
  prepared: PreparedGuest;
  bootMarker: string;
  keys: InstallKeys;
  hostKeyPolicy: HostKeyPolicy;
  restore: boolean;
  prepareStarted: number;
}

/** Fresh runtime files, QEMU spawned and handed over, its boot record written. */
async function spawnGuest(host: BootHost, request: BootRequest, input: SpawnInput): Promise<RunningVm | null> {
  const { signal, update } = request;
  const { profile, qemuBinary, accelerator, settings, prepared, bootMarker, keys, hostKeyPolicy } = input;
  const chosen = input.port;
  const prepareStarted = input.prepareStarted;
  const plan = profile.launchPlan({
    qemuBinary,
    accelerator: accelerator.name,
    cpus: settings.cpus,
    memoryMiB: settings.memoryMiB,
    hostPort: chosen.port,
    files: host.files,
    prepared,
    bootMarker,
    incoming: input.restore,
  });
  await removeRuntimeFiles(host.files);
  // Each boot's console and QEMU output start empty; earlier boots live on in the log hub's files.
  await freshOutputFile(host.files.consoleLog);
  await freshOutputFile(host.files.qemuLog);
  if (signal.aborted) return null;
  host.logs.append('app', 'info', `Guest prepared in ${((host.now() - prepareStarted) / 1000).toFixed(1)} s.`);
  host.logs.append('app', 'info', launchLine(plan));
  update({ detail: 'launching QEMU' });
  const qemuProcess = await spawnQemu(plan, host.files.qemuLog);
  const record: BootRecord = {
    pid: qemuProcess.pid,
    profile: profile.name,
    qemuBinary,
    bootMarker,
    sshPort: chosen.port,
    accelerator,
    startedAt: host.now(),
    hostKey: hostKeyPolicy.kind,
  };
  const vm = new RunningVm({ process: qemuProcess, profile, files: host.files, record, keys, portNote: chosen.note, restored: input.restore, fromOffsets: { console: 0, qemu: 0 }, logs: host.logs });
  request.spawned(vm);
  await writeBootRecord(host.files, record);
  update({ pid: qemuProcess.pid, detail: 'booting' });
  host.logs.append('app', 'info', `QEMU started (pid ${qemuProcess.pid}, ${request.kind === 'start' ? 'started by the user' : 'automatic restart'}).`);
  return vm;
}

/**
 * An empty output file made anew, not an existing one truncated: opening whatever is at that path
 * for writing would block the start for ever, unstoppable, on a FIFO left there, and would write
 * through a symbolic link to wherever it points.
 */
async function freshOutputFile(file: string): Promise<void> {
  await fs.rm(file, { force: true });
  await fs.writeFile(file, '', { mode: 0o600, flag: 'wx' });
}

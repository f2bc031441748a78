/**
 * What a builder supervisor is made with: the state dir, the settings, the log, the profiles and
 * the accelerator probe it is handed, and how long it waits for each step. The waits are
 * parameters so the integration tests can shorten them; the defaults are for a real Mac.
 */
import type { Accelerator, ProfileName, Settings } from '../../ipc/contract.js';
import type { LogSink } from '../logs/logSink.js';
import type { StatePaths } from '../paths.js';
import type { BuilderProfile } from './profile.js';
import { defaultBackoff, type BackoffSchedule } from './restartPlanner.js';
import type { ToolFinder } from '../host/toolSearchPath.js';

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
  /**
   * Under kvm or hvf, a builder not ready within this long is taken for a stalled accelerator
   * (the probe passed, the real guest does not run): it is ended and started again under TCG.
   * A working accelerator boots the builder in seconds; TCG needs ~20 s here.
   */
  acceleratedReadyMs: number;
  /**
   * A builder restored from its snapshot and not ready within this long is taken for a snapshot
   * that does not come back to life (a restore is ready in seconds here, a cold boot in ~20 s
   * under TCG): the snapshot is dropped, QEMU ended and the builder booted cold in the same start.
   */
  restoredReadyMs: number;
  backoff: BackoffSchedule;
}

export const defaultTiming: SupervisorTiming = {
  readyTimeoutMs: 300_000,
  gracefulStopMs: 20_000,
  forceStopMs: 5_000,
  statsIntervalMs: 5_000,
  stableAfterMs: 60_000,
  pollMs: 100,
  acceleratedReadyMs: 90_000,
  restoredReadyMs: 60_000,
  backoff: defaultBackoff,
};

export interface SupervisorDeps {
  paths: StatePaths;
  getSettings: () => Settings;
  logs: LogSink;
  resolveProfile: (name: ProfileName) => BuilderProfile | Promise<BuilderProfile>;
  /** Probes kvm/hvf for the profile with the QEMU binary the supervisor found, and falls back to tcg, saying why. */
  chooseAccelerator: (profile: BuilderProfile, qemuBinary: string) => Promise<Accelerator>;
  platform?: NodeJS.Platform;
  /** Where the profile's QEMU is found; default: this process's PATH and Nix's profile directories. */
  tools?: Pick<ToolFinder, 'find'>;
  now?: () => number;
  timing?: Partial<SupervisorTiming>;
}

export interface StartOptions {
  /** Resolve once the builder is ready; reject if it fails. */
  wait?: boolean;
  /** With `wait`: give up waiting after this long (the boot itself goes on). */
  timeoutMs?: number;
}

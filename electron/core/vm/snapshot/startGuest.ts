/**
 * Taking a guest with a control port from "QEMU runs" to "the guest goes on with this start's
 * marker": restoring the saved state into a QEMU started to receive it, or, on a cold boot,
 * waiting for the guest at its snapshot line and saving the state there when there is none. Then
 * `go` with this start's marker and the host's time.
 *
 * The design that keeps the user's store safe: the snapshot line lies before the guest mounts the
 * /nix disk (resources/guest/rootfs/etc/builder-bar/boot), and the saved state holds RAM and
 * devices only. Every start, restored or cold, mounts /nix after `go`, reading the disk as it is
 * now; nothing a build wrote after the snapshot is rolled back, and no RAM holding an older view
 * of the disk ever meets it.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import type { ExitInfo } from '../qemuProcess.js';
import { QmpClient } from '../qmpClient.js';
import { GuestControl } from './guestControl.js';
import type { SnapshotKeys, SnapshotRecord } from './snapshotRecord.js';
import { restoreSnapshot, saveSnapshot, snapshotDirProblem, type Say, type SnapshotFiles } from './snapshotStore.js';

/** The wait for a cold guest to reach its snapshot line (a TCG boot on a busy host takes minutes). */
export const SNAPSHOT_LINE_TIMEOUT_MS = 300_000;

export class RestoreFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreFailed';
  }
}

export interface GuestStartInput {
  qmpSocket: string;
  controlSocket: string;
  snapshot: SnapshotFiles;
  marker: string;
  /** Restore this state (QEMU was started with `-incoming defer -S`); null: a cold boot. */
  restore: SnapshotRecord | null;
  /** On a cold boot, save a snapshot with these keys; null: do not. */
  saveWith: SnapshotKeys | null;
  isQemuAlive: () => boolean;
  /** How QEMU ended if it does within `withinMs`; null while it runs. */
  qemuEnded: (withinMs: number) => Promise<ExitInfo | null>;
  /** Runs the load with QEMU exiting by itself not taken for a crash (RunningVm.allowingRefusal). */
  allowingRefusal: <T>(load: () => Promise<T>) => Promise<T>;
  now: () => number;
  say: Say;
  report: (detail: string) => void;
  signal: AbortSignal;
}

/**
 * Loads the saved state into a QEMU started to receive it and lets the guest run; throws
 * RestoreFailed when the state is refused (the caller drops it and boots cold). A QEMU that never
 * answered, or was killed by a signal while it loaded, is no refusal: its exit is the supervisor's
 * to report as a crash, and the snapshot is kept for the restart.
 */
export async function restoreGuest(input: GuestStartInput): Promise<void> {
  const record = input.restore;
  if (!record) return;
  const qmp = await connectQmp(input);
  try {
    input.report('restoring the snapshot');
    await input.allowingRefusal(async () => {
      try {
        await restoreSnapshot(qmp, input.snapshot, record, input.signal);
      } catch (error) {
        // QEMU refusing the state exits by itself right away; wait for that before judging.
        const ended = await input.qemuEnded(REFUSAL_EXIT_WAIT_MS);
        if (ended?.signal) throw new Error(`QEMU was killed by ${ended.signal} while it restored the snapshot.`);
        throw new RestoreFailed((error as Error).message);
      }
    });
  } finally {
    qmp.close();
  }
}

/** How long a failed restore waits to see how QEMU ended (a refusal exits at once). */
const REFUSAL_EXIT_WAIT_MS = 2_000;

/**
 * The rest of a start, run beside the readiness probes (whose watchdog then also covers a guest
 * that never reaches its snapshot line, e.g. under a stalled accelerator): on a cold boot, wait
 * for the guest at its snapshot line and save it there when asked; then `go`. Resolves when the
 * guest went; throws what failed (the readiness probes then fail on their own).
 */
export async function letGuestGo(input: GuestStartInput): Promise<void> {
  const { signal } = input;
  const control = await GuestControl.connect(input.controlSocket, { timeoutMs: 10_000, signal });
  try {
    if (!input.restore) {
      await control.waitAtSnapshotLine({ timeoutMs: SNAPSHOT_LINE_TIMEOUT_MS, signal });
      if (input.saveWith && !signal.aborted) {
        const qmp = await connectQmp(input);
        try {
          await saveIfPossible(qmp, input, input.saveWith);
        } finally {
          qmp.close();
        }
      }
    }
    if (signal.aborted) return;
    input.report('mounting /nix and starting sshd in the guest');
    await control.go(input.marker, input.now, { timeoutMs: 60_000, signal });
  } finally {
    control.close();
  }
}

async function saveIfPossible(qmp: QmpClient, input: GuestStartInput, keys: SnapshotKeys): Promise<void> {
  const problem = await snapshotDirProblem(input.snapshot);
  if (problem) {
    input.say('warn', `No snapshot of the builder: ${problem}. Every start boots cold until it is.`);
    return;
  }
  input.report('saving a snapshot of the booted guest');
  const started = input.now();
  try {
    const record = await saveSnapshot(qmp, input.snapshot, keys, input.now);
    input.say('info', `Saved a snapshot of the builder (${(record.sizeBytes / 1024 / 1024).toFixed(0)} MiB, QEMU ${record.qemuVersion}) in ${((input.now() - started) / 1000).toFixed(1)} s; the next start restores it.`);
  } catch (error) {
    input.say('warn', `Could not save a snapshot of the builder: ${(error as Error).message}. Nothing was kept; the next start boots cold.`);
  }
}

async function connectQmp(input: GuestStartInput): Promise<QmpClient> {
  let lastError = 'no attempt';
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !input.signal.aborted && input.isQemuAlive()) {
    try {
      return await QmpClient.connect(input.qmpSocket, 2_000);
    } catch (error) {
      lastError = (error as Error).message;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  throw new Error(`QEMU did not answer on its control socket (${lastError}).`);
}

/** The QEMU binary as a snapshot key: its real path, size and mtime. */
export async function qemuIdentity(qemuBinary: string): Promise<string> {
  const real = await fs.realpath(qemuBinary).catch(() => qemuBinary);
  const stat = await fs.stat(real);
  return `${real} ${stat.size} ${Math.round(stat.mtimeMs)}`;
}

export function hostArch(): string {
  return `${process.platform}-${os.arch()}`;
}

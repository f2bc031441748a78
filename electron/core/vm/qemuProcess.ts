/**
 * The QEMU process itself: found on PATH, spawned detached with its output going straight to
 * files (so it outlives the core that started it and can be adopted), watched for its exit
 * whether this core spawned it or found it running, and ended when asked.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { LaunchPlan } from './profile.js';

export interface ExitInfo {
  /** Null when unknown (an adopted process, whose parent is not us) or ended by a signal. */
  exitCode: number | null;
  signal: string | null;
}

export interface QemuProcess {
  pid: number;
  /** Resolves once the process is gone. */
  exited: Promise<ExitInfo>;
  /** Stops the exit watching without touching the process (the core detaches from it). */
  detach(): void;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The executable a process runs, for checking a pid file against the QEMU binary (a pid can be
 * reused by an unrelated program after a reboot). Linux: /proc/<pid>/exe; macOS: ps.
 */
export async function executableOf(pid: number, platform: NodeJS.Platform = process.platform): Promise<string | null> {
  if (platform === 'linux') {
    const link = await fs.readlink(`/proc/${pid}/exe`).catch(() => null);
    // An upgraded binary shows as "/usr/bin/qemu-system-x86_64 (deleted)"; it is still QEMU.
    return link?.replace(/ \(deleted\)$/, '') ?? null;
  }
  const result = await execa('ps', ['-p', String(pid), '-o', 'comm='], { reject: false, timeout: 5_000 });
  const comm = result.stdout.trim();
  return result.exitCode === 0 && comm !== '' ? comm : null;
}

/**
 * Spawns QEMU in its own process group with stdin closed and stdout/stderr appended to
 * `outputFile` through a file descriptor it owns, so nothing of it depends on this process.
 */
export async function spawnQemu(plan: LaunchPlan, outputFile: string): Promise<QemuProcess> {
  const output = await fs.open(outputFile, 'a', 0o600);
  // execa's types list only 1 and 2 for stdout/stderr, but a lone integer is handed to
  // child_process.spawn unchanged (execa lib/stdio/native.js), so the child gets this very file
  // descriptor and no pipe through this process: QEMU keeps logging after the core is gone.
  // (`{ file }` would pipe through the core, and QEMU would lose its stderr when the core dies.)
  const childOutput = output.fd as unknown as 1;
  try {
    const subprocess = execa(plan.command, plan.args, {
      cwd: plan.cwd,
      env: plan.env,
      extendEnv: true,
      detached: true,
      cleanup: false,
      stdin: 'ignore',
      stdout: childOutput,
      stderr: childOutput,
      reject: false,
    });
    const pid = subprocess.pid;
    if (pid === undefined) {
      const result = await subprocess;
      throw new Error(`QEMU (${plan.command}) did not start: ${result.message ?? result.shortMessage ?? 'unknown error'}`);
    }
    subprocess.unref();
    let detached = false;
    const exited = new Promise<ExitInfo>((resolve) => {
      const settle = (info: ExitInfo): void => {
        if (!detached) resolve(info);
      };
      // `reject: false` makes execa report a failed process as a result; anything it still
      // rejects with means the process is gone without a status.
      subprocess.then(
        (result) => settle({ exitCode: result.exitCode ?? null, signal: result.signal ?? null }),
        () => settle({ exitCode: null, signal: null }),
      );
    });
    return {
      pid,
      exited,
      detach() {
        detached = true;
      },
    };
  } finally {
    await output.close();
  }
}

/** Watches a process this core did not spawn: it is gone when kill(pid, 0) says so. */
export function watchAdoptedProcess(pid: number, pollMs = 250): QemuProcess {
  let timer: NodeJS.Timeout | null = null;
  const exited = new Promise<ExitInfo>((resolve) => {
    timer = setInterval(() => {
      if (!isProcessAlive(pid)) {
        if (timer) clearInterval(timer);
        resolve({ exitCode: null, signal: null });
      }
    }, pollMs);
    timer.unref();
  });
  return {
    pid,
    exited,
    detach() {
      if (timer) clearInterval(timer);
    },
  };
}

/** Sends a signal, ignoring a process that is already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Resolves true if `exited` settles within `ms`. */
export async function exitsWithin(exited: Promise<ExitInfo>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([exited.then(() => true as const), timeout]);
  clearTimeout(timer);
  return result;
}

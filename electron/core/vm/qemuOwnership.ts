/**
 * Whether the pid in the VM dir's pid file is this state dir's QEMU, before anything is done to
 * it. The executable's name alone does not say so: a pid file outlives a reboot (the state dir is
 * not /tmp), and on a Mac the pid it names can by then be Lima's, UTM's or podman's
 * `qemu-system-aarch64`, or another user's; another Builder Bar with its own state dir runs the
 * same QEMU too. Adoption ends a QEMU it cannot check, so a name match alone once meant killing
 * someone else's VM.
 *
 * Ours means: the profile's QEMU executable, run by this user, with the VM dir as its working
 * directory (every run script `cd`s to TMPDIR, which the supervisor sets to the VM dir, and names
 * its runtime files relative to it: profiles/runScriptEnv.ts). Anything that cannot be checked
 * counts as not ours: a QEMU left alone holds a port at worst; a QEMU killed by mistake loses
 * someone's work.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { executableOf, isProcessAlive } from './qemuProcess.js';

export type QemuIdentity =
  | { kind: 'gone' }
  | { kind: 'not-qemu' }
  /** A QEMU, but not this state dir's: never signalled. `why` is for the app log. */
  | { kind: 'foreign'; why: string }
  | { kind: 'ours' };

export interface OwnershipQuery {
  pid: number;
  qemuBinaryName: string;
  /** The VM dir the QEMU of this state dir runs in. */
  vmDir: string;
  platform?: NodeJS.Platform;
}

export async function identifyQemu(query: OwnershipQuery): Promise<QemuIdentity> {
  const platform = query.platform ?? process.platform;
  const { pid } = query;
  if (!isProcessAlive(pid)) return { kind: 'gone' };
  const executable = await executableOf(pid, platform);
  if (executable === null || path.basename(executable) !== query.qemuBinaryName) return { kind: 'not-qemu' };
  const uid = await ownerOf(pid, platform);
  const me = process.getuid?.() ?? null;
  if (uid === null || me === null || uid !== me) {
    return { kind: 'foreign', why: uid === null ? 'its owner cannot be read' : `it belongs to user id ${uid}, not this user (${me ?? 'unknown'})` };
  }
  const cwd = await workingDirectoryOf(pid, platform);
  if (cwd === null) return { kind: 'foreign', why: 'its working directory cannot be read' };
  const vmDir = await fs.realpath(query.vmDir).catch(() => path.resolve(query.vmDir));
  if (cwd !== vmDir) return { kind: 'foreign', why: `it runs in ${cwd}, not in this state dir's ${vmDir}` };
  return { kind: 'ours' };
}

/** The process's real user id; null when it cannot be read. */
async function ownerOf(pid: number, platform: NodeJS.Platform): Promise<number | null> {
  if (platform === 'linux') {
    const stat = await fs.stat(`/proc/${pid}`).catch(() => null);
    return stat?.uid ?? null;
  }
  const result = await execa('ps', ['-p', String(pid), '-o', 'uid='], { reject: false, timeout: 5_000 });
  const uid = Number.parseInt(result.stdout.trim(), 10);
  return result.exitCode === 0 && Number.isInteger(uid) ? uid : null;
}

/** The process's working directory, as the kernel resolved it; null when it cannot be read. */
async function workingDirectoryOf(pid: number, platform: NodeJS.Platform): Promise<string | null> {
  if (platform === 'linux') {
    const link = await fs.readlink(`/proc/${pid}/cwd`).catch(() => null);
    // A directory removed since shows as "<path> (deleted)": it is no longer the VM dir.
    return link === null || link.endsWith(' (deleted)') ? null : link;
  }
  // macOS has no /proc: lsof's field output names the cwd on a line starting with "n".
  const result = await execa('lsof', ['-a', '-w', '-p', String(pid), '-d', 'cwd', '-Fn'], { reject: false, timeout: 5_000 });
  if (result.exitCode !== 0) return null;
  const line = result.stdout.split('\n').find((entry) => entry.startsWith('n'));
  return line === undefined ? null : line.slice(1);
}

/**
 * Where one VM's runtime files live: all inside the state dir's `vm/` folder, never /tmp
 * (macOS empties /tmp after a few days). The boot record sits next to the pid file so the next
 * core can adopt the running VM: which boot marker, port and profile it was started with.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AcceleratorSchema, ProfileNameSchema } from '../../ipc/contract.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { parseJsonWith } from '../util/jsonFile.js';
import { readRegularFile } from '../util/regularFile.js';
import type { VmFiles } from './profile.js';

/**
 * Names of QEMU's runtime files inside the VM dir. The run script (profiles/runScriptEnv.ts)
 * works in that dir and hands QEMU these relative names, so they are defined once, here.
 */
export const RUN_DIR_FILES = {
  qmpSocket: 'qmp.sock',
  consoleLog: 'console.log',
  pidFile: 'qemu.pid',
  /** The host's end of the guest's control port (profiles/runScriptEnv.ts, guest/control.ts). */
  controlSocket: 'control.sock',
  /**
   * A second QMP monitor for saving and restoring snapshots (snapshot/startGuest.ts): QEMU serves
   * one client per monitor, and readiness keeps the first for the VM's lifetime.
   */
  snapshotQmpSocket: 'qmp-snapshot.sock',
  /** This install's ssh host key, handed to the guest through fw_cfg (never through a share). */
  hostKey: 'ssh_host_ed25519_key',
} as const;

export function vmFilesIn(vmDir: string): VmFiles {
  return {
    vmDir,
    qmpSocket: path.join(vmDir, RUN_DIR_FILES.qmpSocket),
    consoleLog: path.join(vmDir, RUN_DIR_FILES.consoleLog),
    qemuLog: path.join(vmDir, 'qemu.log'),
    pidFile: path.join(vmDir, RUN_DIR_FILES.pidFile),
    diskImage: path.join(vmDir, 'disk.qcow2'),
  };
}

export const BootRecordSchema = z.object({
  pid: z.number().int().positive(),
  profile: ProfileNameSchema,
  qemuBinary: z.string(),
  bootMarker: z.string().min(8),
  // A port a core can have listened on: a record that names another is not ours (or is forged),
  // and its port must never reach the ssh config the wiring writes or a connect().
  sshPort: z.number().int().min(1).max(65535),
  accelerator: AcceleratorSchema,
  startedAt: z.number(),
  /** Which host key this boot presents (absent in records written before it was kept). */
  hostKey: z.enum(['per-install', 'fixed']).optional(),
});
export type BootRecord = z.infer<typeof BootRecordSchema>;

export function bootRecordPath(files: VmFiles): string {
  return path.join(files.vmDir, 'boot.json');
}

export async function writeBootRecord(files: VmFiles, record: BootRecord): Promise<void> {
  await writeFileAtomic(files.pidFile, `${record.pid}\n`, { mode: 0o600 });
  await writeFileAtomic(bootRecordPath(files), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Far more than a pid file or boot record ever holds. Anything larger was not written by a core,
 * and is not read into memory whole.
 */
const RUNTIME_FILE_MAX_BYTES = 64 * 1024;

/**
 * A runtime file's text, or null when it is missing, unreadable, too large or not a regular file.
 * These are read as the core starts (adoption): a FIFO left where the boot record goes blocked a
 * plain read, and with it the core's start, for ever (not even SIGTERM ended it). What is not a
 * usable file counts as absent, and adoption's cleanup removes it.
 */
async function readRuntimeFile(file: string): Promise<string | null> {
  return readRegularFile(file, { advice: 'it is not a file a core writes', maxBytes: RUNTIME_FILE_MAX_BYTES }).then(
    (bytes) => bytes.toString('utf8'),
    () => null,
  );
}

/** The pid file's pid, or null when there is none or it does not hold a pid. */
export async function readPidFile(files: VmFiles): Promise<number | null> {
  const text = await readRuntimeFile(files.pidFile);
  if (text === null) return null;
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export async function readBootRecord(files: VmFiles): Promise<BootRecord | null> {
  const text = await readRuntimeFile(bootRecordPath(files));
  if (text === null) return null;
  const parsed = parseJsonWith(BootRecordSchema, text);
  return parsed.ok ? parsed.value : null;
}

/** Removes what a VM that is gone leaves behind; the console and qemu logs stay for reading. */
export async function removeRuntimeFiles(files: VmFiles): Promise<void> {
  await Promise.all([
    fs.rm(files.pidFile, { force: true }),
    fs.rm(files.qmpSocket, { force: true }),
    fs.rm(path.join(files.vmDir, RUN_DIR_FILES.controlSocket), { force: true }),
    fs.rm(path.join(files.vmDir, RUN_DIR_FILES.snapshotQmpSocket), { force: true }),
    fs.rm(bootRecordPath(files), { force: true }),
  ]);
}

/**
 * The guest's host key where QEMU_OPTS' `-fw_cfg …,file=` finds it (RUN_DIR_FILES.hostKey, by a
 * name relative to the VM dir): 0600, this user's. null removes it, so a start that hands the
 * guest no key never leaves an earlier one where QEMU could read it.
 */
export async function placeHostKeyForFwCfg(vmDir: string, privateKey: string | null): Promise<void> {
  const file = path.join(vmDir, RUN_DIR_FILES.hostKey);
  if (privateKey === null) await fs.rm(file, { force: true });
  else await writeFileAtomic(file, privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`, { mode: 0o600 });
}

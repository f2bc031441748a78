/**
 * Adopting the builder an earlier core left running. The VM outlives a crashed or quit core on
 * purpose (QEMU is spawned detached); the pid file and boot record in the state dir say which
 * QEMU it was, with which boot marker and port. It is taken over only when that pid is still the
 * profile's QEMU running in this VM dir as this user (qemuOwnership.ts), its control socket
 * answers and the record names that very pid. Anything less is cleaned up: stale files are
 * removed, and a QEMU of this VM dir that cannot be checked further is ended, since left alone it
 * would hold the builder's port. Someone else's QEMU is never signalled.
 *
 * It moves no state: the supervisor checks an adopted VM's readiness like a fresh boot's.
 */
import { promises as fs } from 'node:fs';
import type { ProfileName } from '../../ipc/contract.js';
import type { LogSink } from '../logs/logSink.js';
import type { StatePaths } from '../paths.js';
import { FileTailer } from './fileTailer.js';
import { describeSetAsideKeys, ensureInstallKeys, hostKeyPolicyOfBoot } from './keyStore.js';
import type { BuilderProfile, VmFiles } from './profile.js';
import { QmpClient } from './qmpClient.js';
import { identifyQemu } from './qemuOwnership.js';
import { exitsWithin, signalProcess, watchAdoptedProcess } from './qemuProcess.js';
import { RunningVm } from './runningVm.js';
import { readBootRecord, readPidFile, removeRuntimeFiles } from './vmFiles.js';

export interface AdoptHost {
  paths: StatePaths;
  files: VmFiles;
  platform: NodeJS.Platform;
  logs: LogSink;
  resolveProfile: (name: ProfileName) => BuilderProfile | Promise<BuilderProfile>;
  /** The profile in the settings, for a pid file without a boot record. */
  settingsProfile: ProfileName;
  /** How long an unidentified QEMU gets after SIGTERM before SIGKILL. */
  forceStopMs: number;
}

/** The VM left running, attached and tailed but not yet checked; null when there is none to adopt. */
export async function adoptBuilder(host: AdoptHost): Promise<RunningVm | null> {
  const { files, logs } = host;
  const pid = await readPidFile(files);
  const record = await readBootRecord(files);
  if (pid === null) {
    if (record !== null || (await exists(files.qmpSocket))) {
      logs.append('app', 'info', 'Removed files of an earlier builder that left no pid file.');
      await removeRuntimeFiles(files);
    }
    return null;
  }
  const profileName = record?.profile ?? host.settingsProfile;
  let profile: BuilderProfile;
  try {
    profile = await host.resolveProfile(profileName);
  } catch (error) {
    // Recovery must not keep the core from starting; the files stay for a later look.
    logs.append('app', 'warn', `Cannot check the builder left by an earlier core (profile ${profileName}): ${(error as Error).message}`);
    return null;
  }
  const identity = await identifyQemu({ pid, qemuBinaryName: profile.qemuBinaryName, vmDir: files.vmDir, platform: host.platform });
  if (identity.kind === 'gone' || identity.kind === 'not-qemu') {
    logs.append('app', 'info', `Removed a stale pid file: pid ${pid} ${identity.kind === 'not-qemu' ? `is not ${profile.qemuBinaryName}` : 'is no longer running'}.`);
    await removeRuntimeFiles(files);
    return null;
  }
  if (identity.kind === 'foreign') {
    // A QEMU, but someone else's (the pid was reused, or the files were copied from another
    // state dir): it is never signalled, and this state dir's files of it are stale.
    logs.append('app', 'warn', `Removed a stale pid file: pid ${pid} is a ${profile.qemuBinaryName} but not this state dir's builder (${identity.why}); left it running.`);
    await removeRuntimeFiles(files);
    return null;
  }
  const socketProblem = await controlSocketProblem(files.qmpSocket);
  if (socketProblem !== null || !(await qmpAnswers(files.qmpSocket)) || record === null || record.pid !== pid) {
    // Our pid file, a QEMU executable, but nothing to check it against: it cannot be
    // trusted as the builder, and left alone it would hold the port. End it.
    const why = record === null ? 'no boot record' : record.pid !== pid ? 'a boot record of another process' : (socketProblem ?? 'a control socket that does not answer');
    logs.append('app', 'warn', `Ending QEMU pid ${pid} left by an earlier core: it has ${why}.`);
    signalProcess(pid, 'SIGTERM');
    const watch = watchAdoptedProcess(pid, 100);
    if (!(await exitsWithin(watch.exited, host.forceStopMs))) signalProcess(pid, 'SIGKILL');
    watch.detach();
    await removeRuntimeFiles(files);
    return null;
  }
  logs.append('app', 'info', `Adopting the builder left running by an earlier core (QEMU pid ${pid}, port ${record.sshPort}).`);
  const keys = await ensureInstallKeys(host.paths.keysDir, profile, hostKeyPolicyOfBoot(profile, record));
  const keysRemade = describeSetAsideKeys(keys.setAside);
  if (keysRemade) logs.append('app', 'warn', `${keysRemade} The running builder still knows only the old ones: restart it.`);
  return new RunningVm({
    process: watchAdoptedProcess(pid),
    profile,
    files,
    record,
    keys,
    portNote: null,
    // What the earlier core read of the console and QEMU's output is in the log hub already.
    fromOffsets: { console: await FileTailer.sizeOf(files.consoleLog), qemu: await FileTailer.sizeOf(files.qemuLog) },
    logs,
  });
}

/**
 * Why the path is not a control socket QEMU made there, or null. QEMU makes its QMP socket in the
 * VM dir itself; a link there (to another QEMU's socket, another state dir's) would have this core
 * check, and later quit, a VM that is not the one at the pid.
 */
async function controlSocketProblem(socket: string): Promise<string | null> {
  const stat = await fs.lstat(socket).catch(() => null);
  if (stat === null) return 'no control socket';
  if (stat.isSymbolicLink()) return 'a control socket that is a symbolic link';
  return stat.isSocket() ? null : 'a control socket that is not a socket';
}

/** Whether a QEMU answers `query-status` on this control socket within two seconds. */
async function qmpAnswers(socket: string): Promise<boolean> {
  return QmpClient.connect(socket, 2_000)
    .then(async (client) => {
      try {
        await client.queryStatus();
        return true;
      } finally {
        client.close();
      }
    })
    .catch(() => false);
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

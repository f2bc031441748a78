/**
 * The builder's saved state on disk: `<vm>/snapshot/state.bin` (QEMU's migration stream: RAM and
 * devices, never disk contents) and `snapshot.json` (snapshotRecord.ts). QEMU 7.2, the oldest we
 * run, has no `file:` migration and `exec:` would hand a shell a command line, so the stream goes
 * through a unix socket beside the QMP socket (`migrate.sock`, named relative to QEMU's working
 * directory, the VM dir, as the run script names its other files): QEMU connects to it to save
 * (`cat` copies the connection into the file, see saveSnapshot), and listens on it to restore
 * (this process copies the file in, util/fileToSocket.ts).
 *
 * What can go wrong ends in a cold boot with a log line and nothing lost:
 *   - The state is written to `state.bin.partial` and renamed only once QEMU said `completed`
 *     and the bytes are on disk; the record is written after that. A kill during the save (of the
 *     core or of QEMU) or a full disk leaves a partial file or a state without a record: both are
 *     removed at the next start, which boots cold.
 *   - Restoring, the file's size and SHA-256 are checked against the record (on a worker) while it streams;
 *     QEMU runs the loaded guest only after that (`-S`, then `cont`), so a corrupt file never runs.
 *   - The record's keys must equal this start's (QEMU, image, profile, CPUs, memory, ...).
 */
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { fileDigest } from '../../util/fileDigest.js';
import { copyFileToSocket } from '../../util/fileToSocket.js';
import { FileTooLargeError, NotRegularFileError, readRegularFile } from '../../util/regularFile.js';
import type { QmpClient } from '../qmpClient.js';
import { parseSnapshotRecord, SNAPSHOT_FORMAT, snapshotMismatch, type SnapshotKeys, type SnapshotRecord } from './snapshotRecord.js';

/** The migration socket's name in the VM dir, as QEMU is given it (relative to its working dir). */
export const MIGRATE_SOCKET = 'migrate.sock';

export interface SnapshotFiles {
  dir: string;
  state: string;
  partial: string;
  record: string;
  /** The migration socket's absolute path (the one this process opens). */
  socket: string;
}

export function snapshotFilesIn(vmDir: string): SnapshotFiles {
  const dir = path.join(vmDir, 'snapshot');
  return {
    dir,
    state: path.join(dir, 'state.bin'),
    partial: path.join(dir, 'state.bin.partial'),
    record: path.join(dir, 'snapshot.json'),
    socket: path.join(vmDir, MIGRATE_SOCKET),
  };
}

export type Say = (level: 'info' | 'warn', text: string) => void;

/** Removes the snapshot (state, record, any partial save). */
export async function dropSnapshot(files: SnapshotFiles): Promise<void> {
  await Promise.all([files.state, files.partial, files.record].map((file) => fs.rm(file, { force: true })));
}

/**
 * Drops the snapshot, saying why. A snapshot that cannot be removed is named with what to do:
 * every start would otherwise try it again without a word.
 */
export async function dropSnapshotSaying(files: SnapshotFiles, say: Say, why: string): Promise<void> {
  say('warn', why);
  await dropSnapshot(files).catch((error: unknown) => {
    say('warn', `Could not remove the snapshot in ${files.dir}: ${(error as Error).message}. Remove that directory; until then each start tries it again.`);
  });
}

/**
 * The record of a snapshot this start may restore, or null (after removing whatever cannot be
 * used, saying why). The state file's contents are checked while they stream (`restoreSnapshot`).
 */
export async function usableSnapshot(files: SnapshotFiles, wanted: SnapshotKeys, say: Say): Promise<SnapshotRecord | null> {
  const partialLeft = await exists(files.partial);
  const read = await readRecordText(files.record);
  const stateStat = await fs.stat(files.state).catch(() => null);
  const drop = async (why: string): Promise<null> => {
    await dropSnapshotSaying(files, say, `Dropped the builder's snapshot: ${why}. Booting cold; a new snapshot is taken once the guest is up.`);
    return null;
  };
  if (partialLeft) return drop('a save did not finish (the core or QEMU ended during it, or the disk was full)');
  if (read !== null && 'problem' in read) return drop(read.problem);
  if (read === null && stateStat === null) return null;
  if (read === null) return drop('its state has no record (a save did not finish)');
  if (stateStat === null) return drop('its record has no state file');
  const parsed = parseSnapshotRecord(read.text);
  if ('problem' in parsed) return drop(parsed.problem);
  const { record } = parsed;
  const mismatch = snapshotMismatch(record.keys, wanted);
  if (mismatch) return drop(`it was taken with other settings (${mismatch})`);
  if (stateStat.size !== record.sizeBytes) return drop(`its state file is ${stateStat.size} bytes, the record says ${record.sizeBytes} (cut short or replaced)`);
  return record;
}

/** Far more than a record ever holds; a larger file was not written by a save. */
const RECORD_MAX_BYTES = 64 * 1024;

/**
 * The record's text; null when there is none (or it cannot be read). A record that is not a
 * regular file (a FIFO would block the start for ever, unstoppable) or is far too large is never
 * read: it comes back as a problem, and the snapshot is dropped.
 */
async function readRecordText(file: string): Promise<{ text: string } | { problem: string } | null> {
  try {
    return { text: (await readRegularFile(file, { advice: 'it is dropped', maxBytes: RECORD_MAX_BYTES })).toString('utf8') };
  } catch (error) {
    if (error instanceof NotRegularFileError) return { problem: `its record is ${error.kind}, not a file a save writes` };
    if (error instanceof FileTooLargeError) return { problem: `its record holds ${error.sizeBytes} bytes, more than a save ever writes` };
    return null;
  }
}

/** Checks whether a directory can take a snapshot, with the reason when it cannot. */
export async function snapshotDirProblem(files: SnapshotFiles): Promise<string | null> {
  try {
    await fs.mkdir(files.dir, { recursive: true, mode: 0o700 });
    await fs.access(files.dir, fs.constants.W_OK);
    return null;
  } catch (error) {
    return `${files.dir} is not writable (${(error as Error).message})`;
  }
}

/**
 * Saves the running guest's state while it waits at the snapshot line, then lets it run on.
 * Resolves with the record, or throws; either way the guest runs again afterwards (`cont`).
 *
 * QEMU connects to the migration socket and `cat` copies what it sends into the file: the socket
 * is handed to `cat` as its stdin, the file as its stdout, and this process never reads the
 * stream. Reading it here made Node allocate a fresh 64 KiB buffer per read, freed only when V8
 * next collected, and glibc's heap kept 10-30 MB of that resident for the rest of the core's
 * life (the idle figure in `npm run bench`). The SHA-256 is then taken from the file, on a
 * worker, after the guest runs on.
 */
export async function saveSnapshot(qmp: QmpClient, files: SnapshotFiles, keys: SnapshotKeys, now: () => number): Promise<SnapshotRecord> {
  await fs.mkdir(files.dir, { recursive: true, mode: 0o700 });
  await dropSnapshot(files);
  await fs.rm(files.socket, { force: true });
  const version = await qmp.execute<{ qemu?: { major?: number; minor?: number; micro?: number }; package?: string }>('query-version');
  const qemuVersion = `${version.qemu?.major ?? '?'}.${version.qemu?.minor ?? '?'}.${version.qemu?.micro ?? '?'}${version.package ? ` ${version.package.trim()}` : ''}`;
  const handle = await fs.open(files.partial, 'wx', 0o600);
  // Never read here (see above): the connection goes to `cat` untouched.
  const server = net.createServer({ pauseOnConnect: true });
  // Set once QEMU connects (a holder: TypeScript does not follow assignments made in a callback).
  const copy: { copier: Copier | null } = { copier: null };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(files.socket, () => resolve());
    });
    server.once('connection', (socket) => {
      server.close();
      try {
        // execa hands any descriptor to spawn as it is; its types list only 3-9.
        const child = execa(catProgram(), [], { stdin: socket, stdout: handle.fd as 3, stderr: 'pipe', reject: false });
        copy.copier = { ended: child, kill: () => void child.kill('SIGKILL') };
      } finally {
        // `cat` has its own copy now. Closing ours means that when `cat` stops (a full disk), QEMU's
        // next write fails and the migration ends as failed instead of waiting for a reader.
        socket.destroy();
      }
    });
    // The guest is paused for the whole copy, not only for its last part: live copies under TCG
    // on a busy host saved states that restored into a kernel oopsing in its module list, every
    // restore of that file the same way. A paused guest's RAM cannot change while it is copied,
    // and at its snapshot line the guest is idle, so the pause costs nothing but the copy's 1-3 s.
    await qmp.execute('stop');
    // No bandwidth cap: nothing runs while it copies.
    await qmp.execute('migrate-set-parameters', { 'max-bandwidth': 1024 * 1024 * 1024 * 1024 });
    await qmp.execute('migrate', { uri: `unix:${MIGRATE_SOCKET}` });
    const status = await migrationOutcome(qmp);
    // QEMU is done writing (or gave up): `cat` ends at the end of the stream.
    const copied = copy.copier ? await copy.copier.ended : null;
    if (copied && copied.exitCode !== 0) {
      throw new Error(`writing the state failed (${String(copied.stderr).trim() || `cat ${copied.exitCode ?? copied.signal}`})`);
    }
    if (status !== 'completed') throw new Error(`QEMU ended the save as ${status}`);
    if (!copied) throw new Error('QEMU completed the save without connecting to the migration socket');
    await handle.sync();
    await handle.close();
    await fs.rename(files.partial, files.state);
    // The guest runs on while the state is hashed; the record, written last, makes the state usable.
    await resumeGuest(qmp);
    const { sha256, sizeBytes } = await fileDigest(files.state);
    const record: SnapshotRecord = { format: SNAPSHOT_FORMAT, keys, qemuVersion, sizeBytes, sha256, savedAt: now() };
    await writeFileAtomic(files.record, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    return record;
  } catch (error) {
    await qmp.execute('migrate_cancel').catch(() => undefined);
    copy.copier?.kill();
    await handle.close().catch(() => undefined);
    await dropSnapshot(files).catch(() => undefined);
    throw error;
  } finally {
    server.close();
    await fs.rm(files.socket, { force: true }).catch(() => undefined);
    await resumeGuest(qmp);
  }
}

/** The `cat` copying QEMU's stream into the file. */
interface Copier {
  ended: Promise<{ exitCode?: number; signal?: string; stderr: unknown }>;
  kill: () => void;
}

/** POSIX's cat, where every macOS and most Linux systems keep it; else the one on PATH (NixOS). */
function catProgram(): string {
  return existsSync('/bin/cat') ? '/bin/cat' : 'cat';
}

/**
 * Feeds the saved state to a QEMU started with `-incoming defer -S`, checking it against the
 * record as it streams, and starts the guest only when every byte matched. Throws when the state
 * does not match or QEMU did not load it (QEMU exits on a stream it cannot load).
 */
export async function restoreSnapshot(qmp: QmpClient, files: SnapshotFiles, record: SnapshotRecord, signal?: AbortSignal): Promise<void> {
  await fs.rm(files.socket, { force: true });
  await qmp.execute('migrate-incoming', { uri: `unix:${MIGRATE_SOCKET}` });
  // Checked on a worker while the same file streams into QEMU here (util/fileDigest.ts). Two reads
  // of one file: a corrupt or truncated state reads the same both times; only a writer racing the
  // restore inside the owner's 0700 state dir could tell them apart, and that writer could as well
  // rewrite the record.
  const checked = fileDigest(files.state, signal);
  checked.catch(() => undefined);
  const socket = net.createConnection({ path: files.socket });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  // Two reused buffers, not a read stream: see fileToSocket.ts for the memory a stream leaves.
  await copyFileToSocket(files.state, socket, signal);
  const { sha256: digest, sizeBytes } = await checked;
  if (sizeBytes !== record.sizeBytes || digest !== record.sha256) {
    throw new Error(`the state file does not match its record (${sizeBytes} bytes, SHA-256 ${digest.slice(0, 12)}…; the record says ${record.sizeBytes} bytes, ${record.sha256.slice(0, 12)}…)`);
  }
  // Loaded means QEMU left `inmigrate` for `prelaunch`/`paused` (-S); a failed load ends QEMU.
  for (;;) {
    const status = await qmp.queryStatus(5_000);
    if (status.status !== 'inmigrate') break;
    if (signal?.aborted) throw new Error('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const outcome = await migrationOutcome(qmp);
  if (outcome !== 'completed') throw new Error(`QEMU did not load the state (migration ${outcome})`);
  await qmp.execute('cont');
  await fs.rm(files.socket, { force: true }).catch(() => undefined);
}

async function migrationOutcome(qmp: QmpClient): Promise<string> {
  for (;;) {
    const info = await qmp.execute<{ status?: string }>('query-migrate', undefined, 5_000);
    const status = info.status ?? 'none';
    if (!['active', 'setup', 'pre-switchover', 'device', 'cancelling', 'postcopy-active'].includes(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A guest the save paused (or whose save failed) runs on. */
async function resumeGuest(qmp: QmpClient): Promise<void> {
  const status = await qmp.queryStatus().catch(() => null);
  if (status && !status.running && ['postmigrate', 'paused', 'finish-migrate'].includes(status.status)) {
    await qmp.execute('cont').catch(() => undefined);
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

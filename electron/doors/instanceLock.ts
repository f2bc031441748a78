/**
 * One core per state dir. Two cores on one state dir would both think they own the VM, its
 * pid file and its QMP socket, so the second `serve` (or Electron app) must be refused with a
 * message naming the first.
 *
 * The lock is a file holding the owner's pid. It is created whole: the content is written to a
 * private temp file first and then hard-linked into place, and `link` fails when the lock
 * already exists, so nobody ever reads a half-written lock. A lock whose process is gone (a
 * crash, `kill -9`, a reboot) is stale and is taken over.
 *
 * A pid is reused, by any process, after the owner died (soon after a reboot, when pids start
 * over, or in a container). So a live pid counts as the owner only when the core's socket
 * answers, or when it is the same process: the lock records the owner's start (`processStart`:
 * on Linux /proc/<pid>/stat field 22, clock ticks since boot, with the boot's id; on macOS
 * `ps -o lstart=` in UTC) and a live pid whose start differs is another process, whatever it
 * runs. Where /proc can tell, a different executable means reuse too. A lock that records no
 * start (written by an older Builder Bar), or whose start this system cannot read, proves
 * nothing by its pid: pid 1, or any node process, is alive and no core, and giving it the benefit
 * of the doubt refused every start for as long as that process lived. There what decides is
 * the socket: a core holds core.sock open, so something listening there (answering or stuck)
 * keeps the lock, and nothing listening means no core owns the state dir. (The one core this
 * misses is an older version's in the seconds it starts, before its socket opens.)
 *
 * Anything at the lock's path that is not a regular file (a FIFO, a directory, a device) is
 * refused without being opened, with an error naming it: opening a FIFO would block for ever.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { FileTooLargeError, NotRegularFileError, readRegularFile } from '../core/util/regularFile.js';
import { parseJsonWith } from '../core/util/jsonFile.js';

/** Ends the refusal of a lock path that is not a regular file. */
const LOCK_ADVICE = 'Builder Bar keeps the lock of this state dir there and will not open it. Move it away and start again.';
/** A lock is one line of JSON (pid, executable, times): anything much larger is not one, and is not read. */
const LOCK_MAX_BYTES = 64 * 1024;

const LockContentSchema = z.object({
  pid: z.number().int().positive(),
  /** The owner's executable (process.execPath), used to tell a reused pid from the owner. */
  execPath: z.string(),
  /** Milliseconds since the epoch. */
  startedAt: z.number(),
  /** When the owner process started, as `processStartOf` reads it; absent in older locks. */
  processStart: z.string().max(200).nullable().optional(),
});
export type LockContent = z.infer<typeof LockContentSchema>;

export interface LockOwner {
  pid: number;
  startedAt: number;
  /** True when its core answered on the socket; false when it holds the lock without answering (starting, or stuck). */
  coreAnswers: boolean;
}

export type LockResult = { acquired: true; lock: InstanceLock } | { acquired: false; owner: LockOwner };

export interface AcquireLockOptions {
  lockFile: string;
  /** True when a core answers on this state dir's socket: the strongest proof of life. */
  coreAnswers: () => Promise<boolean>;
  /**
   * True when something accepts connections on the socket, answering or not (a stuck core): the
   * sign a core holds the state dir when the lock's pid cannot be proven to be its owner.
   * Without it, nothing is taken to listen.
   */
  socketListens?: () => Promise<boolean>;
  /** For tests: the identity written into the lock. */
  self?: LockContent;
}

export class InstanceLock {
  private released = false;

  private constructor(
    readonly lockFile: string,
    readonly content: LockContent,
  ) {}

  static async acquire(options: AcquireLockOptions): Promise<LockResult> {
    const self: LockContent = options.self ?? {
      pid: process.pid,
      execPath: process.execPath,
      startedAt: Date.now(),
      processStart: await processStartOf(process.pid),
    };
    // Each pass either creates the lock, finds a live owner, or removes one stale lock; a few
    // passes cover another process racing us through the same steps.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      if (await createExclusively(options.lockFile, self)) {
        return { acquired: true, lock: new InstanceLock(options.lockFile, self) };
      }
      const existing = await readLock(options.lockFile);
      if (existing === 'missing') continue; // released between our two steps: try again
      if (existing !== 'unreadable') {
        const verdict = await judgeOwner(existing, options);
        if (verdict !== 'stale') return { acquired: false, owner: { pid: existing.pid, startedAt: existing.startedAt, coreAnswers: verdict === 'answers' } };
      }
      await removeStaleLock(options.lockFile, existing);
    }
    throw new Error(`Could not take the lock ${options.lockFile}: other processes keep changing it.`);
  }

  /** Removes the lock if it is still ours. Safe to call more than once. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    // Something that is not a lock file now stands where ours was: not ours to remove.
    const current = await readLock(this.lockFile).catch((error: unknown) => {
      if (error instanceof NotRegularFileError) return 'unreadable' as const;
      throw error;
    });
    if (typeof current === 'object' && current.pid === this.content.pid && current.startedAt === this.content.startedAt) {
      await fs.rm(this.lockFile, { force: true });
    }
  }
}

async function createExclusively(lockFile: string, content: LockContent): Promise<boolean> {
  const temp = path.join(path.dirname(lockFile), `.${path.basename(lockFile)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(content)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.link(temp, lockFile);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function readLock(lockFile: string): Promise<LockContent | 'missing' | 'unreadable'> {
  let text: string;
  try {
    // Never opened unless it is a regular file: a FIFO would block this process for ever.
    text = (await readRegularFile(lockFile, { advice: LOCK_ADVICE, maxBytes: LOCK_MAX_BYTES })).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    // Written whole by a core, a lock is never this large: garbage, like an unparsable one.
    if (error instanceof FileTooLargeError) return 'unreadable';
    throw error;
  }
  // A lock file is written whole (temp + link), so garbage here is not a lock in progress.
  const parsed = parseJsonWith(LockContentSchema, text);
  return parsed.ok ? parsed.value : 'unreadable';
}

/**
 * Whether the lock's owner holds the state dir: its core answers; it is alive without answering
 * (a core starting, a `nix apply`, a stuck core); or the lock is stale.
 */
async function judgeOwner(owner: LockContent, options: AcquireLockOptions): Promise<'answers' | 'silent' | 'stale'> {
  // A core answering on the socket is alive, whoever it is (even this very process).
  if (await options.coreAnswers()) return 'answers';
  // Our own pid, yet nothing answers: a lock from a previous life with a recycled pid
  // (containers restart with the same small pids).
  if (owner.pid === process.pid) return 'stale';
  if (!processExists(owner.pid)) return 'stale';
  // The pid exists but no core answers yet: the owner may still be starting (the lock is taken
  // before the socket opens), or the pid was reused. The recorded start tells which.
  const start = owner.processStart ? await processStartOf(owner.pid) : null;
  if (start !== null) return start === owner.processStart ? 'silent' : 'stale';
  const executable = await executableOf(owner.pid);
  if (executable !== null && executable !== owner.execPath) return 'stale';
  // Nothing proves the live pid is the owner (see the top of this file): the socket decides.
  const listens = options.socketListens ?? (async () => false);
  return (await listens()) ? 'silent' : 'stale';
}

/**
 * When a process started, as a string that is the same on every read for the same process and
 * differs for a later process with the same pid; null when this system cannot tell (the pid is
 * gone, no /proc and no ps).
 *
 * Linux: field 22 of /proc/<pid>/stat (clock ticks after boot) with the boot's id, since ticks
 * start over at each boot; /proc/stat's btime would not do, it moves when the clock is set.
 * macOS and the BSDs: `ps -o lstart=`, to the second, in UTC and the C locale, so a time zone
 * or daylight-saving change does not make the owner look like another process.
 */
export async function processStartOf(pid: number, platform: NodeJS.Platform = process.platform): Promise<string | null> {
  if (platform === 'linux') return linuxProcessStart(pid);
  const result = await execa('/bin/ps', ['-o', 'lstart=', '-p', String(pid)], {
    reject: false,
    stdin: 'ignore',
    timeout: 5_000,
    env: { LC_ALL: 'C', TZ: 'UTC' },
    extendEnv: false,
  });
  const started = typeof result.stdout === 'string' ? result.stdout.trim().replace(/\s+/g, ' ') : '';
  return result.exitCode === 0 && started !== '' ? `lstart ${started}` : null;
}

async function linuxProcessStart(pid: number): Promise<string | null> {
  let stat: string;
  try {
    stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 is the command in parentheses and may itself hold spaces and ')': count from the last one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = fields[22 - 3];
  if (ticks === undefined || !/^\d+$/.test(ticks)) return null;
  const boot = await fs.readFile('/proc/sys/kernel/random/boot_id', 'utf8').then((id) => id.trim(), () => 'unknown');
  return `boot ${boot} ticks ${ticks}`;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The executable of a running process, or null when this system cannot tell (no /proc). */
async function executableOf(pid: number): Promise<string | null> {
  if (process.platform !== 'linux') return null;
  try {
    return await fs.readlink(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

/**
 * Moves the stale lock aside and checks that what was moved is the lock we judged stale; if a
 * racing process replaced it with a live lock in between, that lock is put back.
 */
async function removeStaleLock(lockFile: string, judged: LockContent | 'unreadable'): Promise<void> {
  const aside = `${lockFile}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await fs.rename(lockFile, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readLock(aside);
  const sameAsJudged =
    judged === 'unreadable'
      ? moved === 'unreadable'
      : typeof moved === 'object' && moved.pid === judged.pid && moved.startedAt === judged.startedAt;
  if (!sameAsJudged) {
    await fs.link(aside, lockFile).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
}

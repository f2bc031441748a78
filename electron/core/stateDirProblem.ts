/**
 * Why a directory cannot be the state dir, for a person. Taking the state dir (stateDir.ts) is
 * the first thing every start does, so what the file system refuses there is the first thing a
 * user sees: a state dir of another user (`sudo builder-bar serve` once made it root's), a HOME
 * that does not exist or cannot be written (a service account, a broken launchd plist), a disk
 * that is read-only or full, a file where a directory should be. A raw
 * `EPERM: operation not permitted, chmod '…'` says none of what to do; this names the directory,
 * says why in words, and gives the way out: the exact command that fixes it where there is one,
 * and always `--state-dir` / BUILDER_BAR_HOME, the two ways `builder-bar --help` documents.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BuilderBarError } from './errors.js';

/** Error codes of the file system that the user can do something about. */
const EXPLAINED: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR']);

export const ELSEWHERE =
  'Or start Builder Bar with a state dir elsewhere: --state-dir DIR (or BUILDER_BAR_HOME=DIR); it is made if it does not exist.';

export interface WhoAmI {
  uid: number;
  /** Used in the commands shown; the uid when the account has no name. */
  name: string;
  /** HOME, under which the default state dir lies. */
  home: string | undefined;
}

function currentUser(): WhoAmI {
  const uid = process.getuid?.() ?? -1;
  try {
    return { uid, name: os.userInfo().username, home: process.env.HOME };
  } catch {
    return { uid, name: String(uid), home: process.env.HOME };
  }
}

/** A path as one word for a POSIX shell, whatever it holds. */
export function shellQuoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The BuilderBarError that explains `error` (thrown while taking `dir` as the state dir), or
 * null when it is none a user can fix (it is then passed on as it is: a bug, to be reported).
 */
export async function stateDirProblem(dir: string, error: unknown, me: WhoAmI = currentUser()): Promise<BuilderBarError | null> {
  if (error instanceof BuilderBarError) return error;
  const { syscall } = (error ?? {}) as NodeJS.ErrnoException;
  let { code } = (error ?? {}) as NodeJS.ErrnoException;
  // Node's recursive mkdir reports ENOENT when the directory above refused the new one (seen on
  // a read-only file system): ask that directory what it refuses.
  if (code === 'ENOENT' && syscall === 'mkdir') code = (await writeRefusalAbove(dir)) ?? code;
  if (code === undefined || !EXPLAINED.has(code)) return null;
  const failed = `${syscall ?? 'access'} failed with ${code}`;
  switch (code) {
    case 'ENOTDIR': {
      const blocker = (await firstNonDirectory(dir)) ?? dir;
      const what = blocker === dir ? `${dir} is a file, not a directory, so it cannot be the state dir.` : `${dir} cannot be the state dir: ${blocker} is a file, not a directory.`;
      return new BuilderBarError('invalid-request', what, `Pick an empty or new directory for --state-dir (or BUILDER_BAR_HOME), or move ${blocker} away.`);
    }
    case 'EROFS':
      return new BuilderBarError(
        'disk',
        `${dir} cannot be the state dir: it is on a read-only file system (${failed}).`,
        `Builder Bar writes its settings, keys and logs there: make that file system writable again (remount it read-write). ${ELSEWHERE}`,
      );
    case 'ENOSPC':
    case 'EDQUOT': {
      const disk = (await nearestExisting(dir))?.at ?? path.dirname(dir);
      return new BuilderBarError(
        'disk',
        `${dir} cannot be the state dir: the disk it is on is full${code === 'EDQUOT' ? ' (your quota there is used up)' : ''} (${failed}).`,
        `Free some space there (df -h ${shellQuoted(disk)} shows how much is left), then start again. ${ELSEWHERE}`,
      );
    }
    default:
      return permissionProblem(dir, failed, me);
  }
}

/** EACCES or EPERM: whose directory stands in the way, and what its owner can do about it. */
async function permissionProblem(dir: string, failed: string, me: WhoAmI): Promise<BuilderBarError> {
  const found = await nearestExisting(dir);
  if (found === null) return new BuilderBarError('disk', `${dir} cannot be the state dir: permission denied (${failed}).`, ELSEWHERE);
  const { at, uid } = found;
  const quoted = shellQuoted(dir);
  if (at === dir && uid !== me.uid) {
    return new BuilderBarError(
      'disk',
      `${dir} cannot be the state dir: it belongs to uid ${uid}, not to you (${me.name}, uid ${me.uid}), so Builder Bar may not take it as its state dir (${failed}).`,
      `If it is your state dir (made by a "sudo builder-bar …" perhaps), give it back to you: sudo chown -R ${me.name} ${quoted} && chmod 700 ${quoted}. ${ELSEWHERE}`,
    );
  }
  if (at === dir) {
    const locked = process.platform === 'darwin' ? 'ls -lOd shows a "uchg" flag; chflags -R nouchg removes it' : 'lsattr -d shows an "i" flag; chattr -R -i removes it, as root';
    return new BuilderBarError(
      'disk',
      `${dir} cannot be the state dir: it is yours, but Builder Bar may not change it (${failed}).`,
      `Let yourself write it: chmod 700 ${quoted}. If that is refused too, it is locked (${locked}). ${ELSEWHERE}`,
    );
  }
  // The directory does not exist and cannot be made: `at` is the nearest directory above it.
  const home = me.home;
  const underHome = home !== undefined && home !== '' && dir.startsWith(`${home}${path.sep}`) && !at.startsWith(`${home}${path.sep}`);
  return new BuilderBarError(
    'disk',
    `${dir} cannot be the state dir: it does not exist, and you may not create it in ${at} (owned by uid ${uid}; ${failed}).`,
    (underHome ? `It lies in your home directory, HOME=${home}, which does not exist or is not yours: set HOME to your home directory. ` : '') +
      `To keep it there, have it made for you: sudo mkdir -p ${quoted} && sudo chown ${me.name} ${quoted}. ${ELSEWHERE}`,
  );
}

/** Why the nearest existing directory above `dir` refuses a new entry (EROFS, EACCES), if it does. */
async function writeRefusalAbove(dir: string): Promise<string | null> {
  const found = await nearestExisting(dir);
  if (found === null) return null;
  return fs.access(found.at, fsConstants.W_OK).then(
    () => null,
    (error: unknown) => (error as NodeJS.ErrnoException).code ?? null,
  );
}

/** `dir` or the nearest directory above it that exists, with its owner; null if none can be read. */
async function nearestExisting(dir: string): Promise<{ at: string; uid: number } | null> {
  for (let at = dir; ; at = path.dirname(at)) {
    const stat = await fs.stat(at).catch(() => null);
    if (stat) return { at, uid: stat.uid };
    if (path.dirname(at) === at) return null;
  }
}

/** The first component of `dir`, from the root down, that exists and is not a directory. */
async function firstNonDirectory(dir: string): Promise<string | null> {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  for (let depth = 1; depth <= parts.length; depth += 1) {
    const at = path.join(path.sep, ...parts.slice(0, depth));
    const stat = await fs.stat(at).catch(() => null);
    if (stat === null) return null;
    if (!stat.isDirectory()) return at;
  }
  return null;
}

/**
 * Refuses a path that cannot be tracked, saying why and what to do: it does not exist, it is
 * not a directory, it is not inside a git work tree, or it is a bare repository (which has no
 * checkout, so no current branch to build). A repository git will not read for this user (owned
 * by another one: git's "dubious ownership"; or not readable at all) is said to be that, since
 * "not a git work tree, run git init there" would point at the wrong fix.
 */
import { constants } from 'node:fs';
import { access, lstat, stat } from 'node:fs/promises';
import nodePath from 'node:path';
import { BuilderBarError } from '../errors.js';
import { GitFailure, GitRunner } from './gitRunner.js';

export async function assertGitWorkTree(path: string, options: { git?: string } = {}): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch {
    throw new BuilderBarError('invalid-request', `${path} does not exist.`, 'Give the path of a git work tree (the directory you cloned into), or check that the repository was not moved or deleted.');
  }
  if (!isDirectory) throw new BuilderBarError('invalid-request', `${path} is not a directory.`, 'Give the path of a git work tree (the directory you cloned into).');
  // git says "not a git repository" for a .git it may not read: asked of the file system first.
  await assertReadable(path);
  const git = new GitRunner(path, options.git);
  let result;
  try {
    result = await git.run(['rev-parse', '--is-bare-repository', '--is-inside-work-tree']);
  } catch (error) {
    const message = error instanceof GitFailure ? error.message : String(error);
    throw new BuilderBarError('not-supported', `git could not be run (${message}).`, 'Install git (on macOS: xcode-select --install) and make sure it is on the PATH.');
  }
  const [bare, inside] = result.stdout.trim().split('\n');
  if (result.exitCode !== 0) {
    const refusal = unreadableRefusal(path, result.stderr);
    if (refusal) throw refusal;
    throw new BuilderBarError('invalid-request', `${path} is not a git work tree: ${result.stderr.trim().split('\n')[0] ?? ''}`.trim(), 'Give the path of a directory inside a git clone (it has a .git entry), or run git init there.');
  }
  if (bare === 'true' || inside !== 'true') {
    throw new BuilderBarError('invalid-request', `${path} is a bare git repository or a git directory, not a work tree.`, 'Give the path of a checkout (a clone with a work tree); its current branch is what incremental builds start from.');
  }
}

async function assertReadable(path: string): Promise<void> {
  const denied = async (target: string, mode: number): Promise<boolean> =>
    access(target, mode).then(
      () => false,
      (error: NodeJS.ErrnoException) => error.code === 'EACCES' || error.code === 'EPERM',
    );
  if (await denied(path, constants.R_OK | constants.X_OK)) throw permissionDenied(path, path);
  const dotGit = nodePath.join(path, '.git');
  const entry = await lstat(dotGit).catch(() => null);
  if (entry && (await denied(dotGit, entry.isDirectory() ? constants.R_OK | constants.X_OK : constants.R_OK))) throw permissionDenied(path, dotGit);
}

function unreadableRefusal(path: string, stderr: string): BuilderBarError | null {
  if (/detected dubious ownership/.test(stderr)) {
    return new BuilderBarError(
      'invalid-request',
      `${path} is owned by another user, and git refuses to read a repository you do not own ("detected dubious ownership").`,
      `If you trust that user, allow it with: git config --global --add safe.directory ${shellQuoted(path)} (then add it again); or make it yours (chown), or track a clone of your own.`,
    );
  }
  if (/Permission denied/i.test(stderr)) return permissionDenied(path, null);
  return null;
}

function permissionDenied(path: string, what: string | null): BuilderBarError {
  return new BuilderBarError(
    'invalid-request',
    `${path} cannot be read: permission denied${what ? ` on ${what}` : ''}.`,
    'Give your user read access to the repository (chmod, or chown it to you), or track a clone of your own.',
  );
}

/** For a command the user pastes into a shell: one argument whatever the path holds. */
function shellQuoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Refuses a path that cannot be tracked, saying why and what to do: it does not exist, it is
 * not a directory, it is not inside a git work tree, or it is a bare repository (which has no
 * checkout, so no current branch to build).
 */
import { stat } from 'node:fs/promises';
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
    throw new BuilderBarError('invalid-request', `${path} is not a git work tree: ${result.stderr.trim().split('\n')[0] ?? ''}`.trim(), 'Give the path of a directory inside a git clone (it has a .git entry), or run git init there.');
  }
  if (bare === 'true' || inside !== 'true') {
    throw new BuilderBarError('invalid-request', `${path} is a bare git repository or a git directory, not a work tree.`, 'Give the path of a checkout (a clone with a work tree); its current branch is what incremental builds start from.');
  }
}

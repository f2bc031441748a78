/**
 * What a tracked repository's settings are checked for before they are stored, beyond the
 * contract's shape: the path is in a git work tree and not tracked already (through another
 * path to the same directory), and the branch pattern can match a branch (git matches nothing
 * for an unclosed `[` or a regular expression, and the repository showed no branches without
 * saying why). A subdirectory of a work tree is allowed: in a monorepo each project is tracked
 * at its own directory, which `{repo}` in its full-build command names.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AddTrackedRepo, TrackedRepo } from '../../ipc/contract.js';
import { assertGitWorkTree, BRANCH_PATTERN_HINT, branchPatternProblem } from '../baselines/index.js';
import { BuilderBarError } from '../errors.js';
import { DEFAULT_FULL_BUILD_COMMAND } from '../incremental/defaultFullBuild.js';
import { repoIdFor } from './repoId.js';

export interface CheckedRepoPath {
  /** The path to store: as the user wrote it, without "." segments or extra slashes. */
  path: string;
  /** Symlinks resolved: what two paths of one repository have in common. */
  realPath: string;
}

export async function checkedRepoPath(input: string, git: string): Promise<CheckedRepoPath> {
  await assertGitWorkTree(input, { git });
  const realPath = await fs.realpath(input);
  // ".." is resolved by the file system, not by text (after a symlink it leads elsewhere): a
  // normalized path is kept only when it is the same directory.
  const normalized = path.normalize(input).replace(/(.)\/+$/, '$1');
  const same = normalized !== input && (await fs.realpath(normalized).catch(() => null)) === realPath;
  return { path: same ? normalized : input, realPath };
}

export function assertBranchPattern(pattern: string | null | undefined): void {
  if (pattern === null || pattern === undefined) return;
  const problem = branchPatternProblem(pattern);
  if (problem !== null) throw new BuilderBarError('invalid-settings', `The branch pattern ${JSON.stringify(pattern)} ${problem}.`, BRANCH_PATTERN_HINT);
}

/** The repository `input` adds to `current`: refused when it is tracked already (through any path) or its name is taken. */
export async function newTrackedRepo(current: readonly TrackedRepo[], input: AddTrackedRepo, checked: CheckedRepoPath): Promise<TrackedRepo> {
  for (const existing of current) {
    const existingReal = await fs.realpath(existing.path).catch(() => existing.path);
    if (existingReal === checked.realPath) {
      throw new BuilderBarError('invalid-settings', `${input.path} is already tracked as "${existing.id}".`, 'Change its settings in the Baselines panel instead of adding it again.');
    }
  }
  if (input.id !== undefined && current.some((existing) => existing.id === input.id)) {
    throw new BuilderBarError('invalid-settings', `A tracked repository named "${input.id}" already exists.`, 'Pick another name, or leave the name empty to get one from the directory.');
  }
  return {
    id: input.id ?? repoIdFor(checked.path, current.map((existing) => existing.id)),
    path: checked.path,
    intervalSeconds: input.intervalSeconds ?? 86_400,
    timeSource: input.timeSource ?? 'wall-clock',
    branchPattern: input.branchPattern ?? null,
    fullBuild: input.fullBuild ?? [...DEFAULT_FULL_BUILD_COMMAND],
  };
}

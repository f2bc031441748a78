/**
 * What a user is told when a path cannot be tracked because of who owns it or who may read it:
 * git's "dubious ownership" refusal, or a permission denied. Both used to come out as "not a git
 * work tree … run git init there", which is wrong and points at the wrong fix.
 */
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { assertGitWorkTree } from './assertGitWorkTree.js';
import { createFixtureRepo, git } from './gitFixtures.js';

const isRoot = process.getuid?.() === 0;

let root: string;
let repo: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-assert-work-tree-'));
  repo = path.join(root, 'repo');
  await mkdir(repo);
  await createFixtureRepo(repo, [{ ref: 'refs/heads/main', committer: 1_700_000_000, parents: [] }]);
  await git(repo, ['checkout', '-q', 'main']);
});
afterAll(async () => {
  await chmod(path.join(root, 'locked'), 0o755).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

async function refusal(target: string, git?: string): Promise<BuilderBarError> {
  const error = await assertGitWorkTree(target, git ? { git } : {}).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(BuilderBarError);
  return error as BuilderBarError;
}

/** A git that answers every call as git does for a repository it will not read. */
async function gitSaying(name: string, stderr: string): Promise<string> {
  const program = path.join(root, `${name}-git.sh`);
  await writeFile(program, `#!/bin/sh\nprintf '%s\\n' ${stderr.split('\n').map((line) => `'${line}'`).join(' ')} >&2\nexit 128\n`);
  await chmod(program, 0o755);
  return program;
}

describe('assertGitWorkTree on ownership and permissions', () => {
  it('says a repository owned by someone else is refused by git for its owner, with the safe.directory command', async () => {
    const program = await gitSaying('dubious', `fatal: detected dubious ownership in repository at '${repo}'\nTo add an exception for this directory, call:\n\n\tgit config --global --add safe.directory ${repo}`);
    const error = await refusal(repo, program);
    expect(error.message).toMatch(/owned by another user/);
    expect(error.message).not.toMatch(/not a git work tree/);
    expect(error.hint).toContain(`git config --global --add safe.directory '${repo}'`);
    expect(error.hint).not.toMatch(/git init/);
  });

  it.runIf(isRoot)('says so for a real repository of another user', async () => {
    const other = path.join(root, 'others');
    await mkdir(other);
    await createFixtureRepo(other, [{ ref: 'refs/heads/main', committer: 1_700_000_000, parents: [] }]);
    await chown(other, 65_534, 65_534);
    await chown(path.join(other, '.git'), 65_534, 65_534);
    const error = await refusal(other);
    expect(error.message).toMatch(/owned by another user/);
    expect(error.hint).toContain('safe.directory');
    // A user whose git speaks German (its messages are what this reads): the same answer.
    const saved = { LANGUAGE: process.env.LANGUAGE, LC_ALL: process.env.LC_ALL };
    Object.assign(process.env, { LANGUAGE: 'de', LC_ALL: 'C.UTF-8' });
    try {
      expect((await refusal(other)).message).toMatch(/owned by another user/);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('says a directory git may not enter is unreadable, not that it is no repository', async () => {
    const program = await gitSaying('denied', `fatal: cannot change to '${repo}': Permission denied`);
    const error = await refusal(repo, program);
    expect(error.message).toMatch(/permission denied/i);
    expect(error.message).not.toMatch(/not a git work tree/);
    expect(error.hint).toMatch(/chmod|chown/);
  });

  it.skipIf(isRoot)('says a work tree whose .git the user cannot read is unreadable', async () => {
    const locked = path.join(root, 'locked');
    await mkdir(locked);
    await createFixtureRepo(locked, [{ ref: 'refs/heads/main', committer: 1_700_000_000, parents: [] }]);
    await chmod(path.join(locked, '.git'), 0);
    try {
      const error = await refusal(locked);
      expect(error.message).toMatch(/permission denied/i);
    } finally {
      await chmod(path.join(locked, '.git'), 0o755);
    }
  });
});

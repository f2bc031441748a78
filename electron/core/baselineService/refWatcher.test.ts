import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RefWatcher } from './refWatcher.js';

const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const git = (cwd: string, ...args: string[]) => execa('git', args, { cwd, env });

function nextChange(count: { n: number }, from: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (count.n > from) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > 10_000) {
        clearInterval(poll);
        reject(new Error('no change seen'));
      }
    }, 20);
  });
}

describe('RefWatcher on a real repository', () => {
  let repo: string;
  let watcher: RefWatcher | null = null;
  beforeEach(async () => {
    repo = await mkdtemp(path.join(os.tmpdir(), 'refwatch-'));
    await git(repo, 'init', '-q', '-b', 'main');
    await git(repo, 'commit', '-q', '--allow-empty', '-m', 'one');
  });
  afterEach(async () => {
    watcher?.close();
    await rm(repo, { recursive: true, force: true });
  });

  it('sees a commit, a new nested branch and pack-refs, and not an index refresh', async () => {
    const gitDir = path.join(repo, '.git');
    const count = { n: 0 };
    watcher = new RefWatcher(async () => [path.join(gitDir, 'HEAD'), path.join(gitDir, 'packed-refs'), path.join(gitDir, 'refs', 'heads')], () => (count.n += 1), 50);
    await watcher.start();

    await git(repo, 'commit', '-q', '--allow-empty', '-m', 'two');
    await nextChange(count, 0);

    let seen = count.n;
    await git(repo, 'branch', 'feature/deep/x');
    await nextChange(count, seen);

    // The new directory refs/heads/feature/deep is watched after the change that made it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    seen = count.n;
    await git(repo, 'update-ref', 'refs/heads/feature/deep/x', 'HEAD~1');
    await nextChange(count, seen);

    await new Promise((resolve) => setTimeout(resolve, 200));
    seen = count.n;
    await git(repo, 'pack-refs', '--all');
    await nextChange(count, seen);

    await new Promise((resolve) => setTimeout(resolve, 300));
    seen = count.n;
    await git(repo, 'update-index', '--refresh');
    await git(repo, 'status', '--porcelain');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(count.n).toBe(seen);
  });
});

/**
 * The baseline service against what users do to tracked repositories, with real git: clone it
 * again at the same path, track it a second time through another spelling of its path, give a branch pattern
 * that can never match, track one whose dates git stores out of range next to others, and untrack
 * one of two worktrees of one repository.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BaselinesListSchema, type BaselinesList } from '../../ipc/contract.js';
import { createFixtureRepo, git } from '../baselines/gitFixtures.js';
import { BuilderBarError } from '../errors.js';
import type { BaselineService } from './baselineService.js';
import { serviceWithoutBuilds } from './testing/serviceWithoutBuilds.js';

const DAY = 86_400;
let root: string;
let service: BaselineService;

beforeEach(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'baseline-hostile-'));
  ({ service } = await serviceWithoutBuilds(path.join(root, 'state'), { missingPollMs: 200 }));
});
afterEach(() => {
  service.close();
  rmSync(root, { recursive: true, force: true });
});

/** A work tree on `main` with one commit dated `daysAgo` days ago; answers that commit. */
async function workTree(dir: string, daysAgo = 3): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const [sha] = await createFixtureRepo(dir, [{ ref: 'refs/heads/main', committer: Math.floor(Date.now() / 1000) - daysAgo * DAY, parents: [] }]);
  await git(dir, ['checkout', '-q', 'main']);
  return sha as string;
}

function tipOf(list: BaselinesList, id: string): string | undefined {
  return list.repos.find((repo) => repo.repo.id === id)?.branches.find((branch) => branch.branch === 'main')?.tip;
}

function until(predicate: (list: BaselinesList) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (predicate(service.list())) return resolve();
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(service.list().repos.map((repo) => [repo.repo.id, repo.state, repo.branches.map((b) => b.tip.slice(0, 7))]))}`));
    }, timeoutMs);
    const stop = service.onChange((list) => {
      if (!predicate(list)) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

async function refusal(promise: Promise<unknown>): Promise<BuilderBarError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BuilderBarError);
  return error as BuilderBarError;
}

describe('BaselineService with hostile input', () => {
  it('follows a repository cloned again at the same path (its old watches watched directories that are gone)', async () => {
    const app = path.join(root, 'app');
    const first = await workTree(app);
    await service.addRepo({ path: app, id: 'app' });
    expect(tipOf(service.list(), 'app')).toBe(first);

    // rm -rf app && git clone … app: the same path, other directories and other history.
    rmSync(app, { recursive: true, force: true });
    const second = await workTree(app, 2);
    await until((list) => tipOf(list, 'app') === second, 'the new clone');

    await git(app, ['commit', '-q', '--allow-empty', '-m', 'after the clone']);
    const third = (await git(app, ['rev-parse', 'HEAD'])).trim();
    await until((list) => tipOf(list, 'app') === third, 'a commit in the new clone');
  }, 60_000);

  it('keeps the history cache two worktrees of one repository share until the last of them is untracked', async () => {
    const app = path.join(root, 'app');
    await workTree(app);
    const fix = path.join(root, 'app-fix');
    await git(app, ['worktree', 'add', '-q', '-b', 'fix', fix]);
    await service.addRepo({ path: app, id: 'app' });
    await service.addRepo({ path: fix, id: 'app-fix' });
    const cacheDir = path.join(root, 'state', 'baseline-graphs');
    const files = () => readdir(cacheDir).catch(() => [] as string[]);
    // One file for both (the engine writes it a few seconds after learning the history).
    await expect.poll(files, { timeout: 20_000 }).toHaveLength(1);

    await service.removeRepo('app-fix');
    expect(await files()).toHaveLength(1);
    await service.removeRepo('app');
    expect(await files()).toEqual([]);
  }, 60_000);

  it('refuses the same directory under another spelling, and takes a monorepo\'s project directory as its own', async () => {
    const app = path.join(root, 'app');
    await workTree(app);
    await service.addRepo({ path: app, id: 'app' });
    // The same work tree written otherwise is still the same one.
    expect((await refusal(service.addRepo({ path: `${root}//app/./` }))).message).toMatch(/already tracked as "app"/);
    // A project in a subdirectory is tracked at its own directory ({repo} in its full build).
    const backend = path.join(app, 'backend');
    await mkdir(backend, { recursive: true });
    await service.addRepo({ path: backend, id: 'backend' });
    expect((await refusal(service.addRepo({ path: `${backend}/` }))).message).toMatch(/already tracked as "backend"/);
    // Kept as written, but without "." segments and extra slashes, which named it "repo" and reached the full-build command.
    const other = path.join(root, 'other');
    await workTree(other);
    await service.addRepo({ path: `${root}/./other//` });
    expect(service.list().repos.map((repo) => [repo.repo.id, repo.repo.path])).toEqual([
      ['app', app],
      ['backend', backend],
      ['other', other],
    ]);
  });

  it('refuses a branch pattern that can never match, on add and on change, saying why', async () => {
    const app = path.join(root, 'app');
    await workTree(app);
    const added = await refusal(service.addRepo({ path: app, branchPattern: 'release/[0-9' }));
    expect(added.message).toMatch(/"release\/\[0-9" has a "\[" without its closing "\]"/);
    expect(added.hint).toMatch(/git glob/);
    expect(service.list().repos).toEqual([]);
    await service.addRepo({ path: app, id: 'app', branchPattern: 'main' });
    const changed = await refusal(service.updateRepo('app', { branchPattern: '^main$' }));
    expect(changed.message).toMatch(/holds "\^"/);
    expect(service.list().repos[0]?.repo.branchPattern).toBe('main');
    expect(service.list().repos[0]?.branches.map((branch) => branch.branch)).toEqual(['main']);
  });

  it('keeps the list within the contract when one repository has commits dated before 1970 or after 9999', async () => {
    const plain = path.join(root, 'plain');
    await workTree(plain);
    const dates = path.join(root, 'dates');
    mkdirSync(dates);
    await git(dates, ['init', '-q', '-b', 'main']);
    const tree = (await git(dates, ['write-tree'])).trim();
    let parent = '';
    for (const time of ['-157766400', '1700000000', '99999999999999']) {
      const body = `tree ${tree}\n${parent ? `parent ${parent}\n` : ''}author A <a@example.com> ${time} +0000\ncommitter C <c@example.com> ${time} +0000\n\nat ${time}\n`;
      parent = (await git(dates, ['hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], body)).trim();
    }
    await git(dates, ['update-ref', 'refs/heads/main', parent]);
    await git(dates, ['update-ref', 'refs/heads/old', (await git(dates, ['rev-list', '--max-parents=0', 'main'])).trim()]);
    await service.addRepo({ path: plain, id: 'plain' });
    await service.addRepo({ path: dates, id: 'dates', timeSource: 'tip-commit' });
    await service.updateRepo('dates', { timeSource: 'wall-clock' });
    const checked = BaselinesListSchema.safeParse(service.list());
    expect(checked.success, checked.error?.message).toBe(true);
    expect(service.list().repos.map((repo) => repo.state)).toEqual(['ok', 'ok']);
  });
});

/**
 * One failed computation must not freeze a tracked repository. Each recompute chains after the
 * previous one (results arrive in order); a step that rejected used to leave the chain rejected,
 * so every later commit was ignored until the app restarted. Here the failure is a real one: a
 * directory sits where an old baseline's GC root link should be, so dropping it fails. Once the
 * directory is gone, the next commit must show up again.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { BaselinesList } from '../../ipc/contract.js';
import { createFixtureRepo, git } from '../baselines/gitFixtures.js';
import type { BaselineService } from './baselineService.js';
import { serviceWithoutBuilds } from './testing/serviceWithoutBuilds.js';

let root: string;
let service: BaselineService | undefined;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'baseline-recovery-'));
});
afterEach(() => {
  service?.close();
  rmSync(root, { recursive: true, force: true });
});

function tipOf(list: BaselinesList): string | undefined {
  return list.repos[0]?.branches.find((branch) => branch.branch === 'main')?.tip;
}

function waitForTip(current: BaselineService, sha: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (tipOf(current.list()) === sha) return resolve();
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`the panel still shows ${tipOf(current.list())}, not the new commit ${sha}`));
    }, 20_000);
    const stop = current.onChange((list) => {
      if (tipOf(list) !== sha) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

it('a repository keeps following commits after one computation failed', async () => {
  const repo = path.join(root, 'app');
  mkdirSync(repo);
  const now = Math.floor(Date.now() / 1000);
  const [first] = await createFixtureRepo(repo, [{ ref: 'refs/heads/main', committer: now - 3 * 86_400, parents: [] }]);
  await git(repo, ['checkout', '-q', 'main']);
  const stateDir = path.join(root, 'state');
  // Where the root of an old baseline ("app", another sha) would be, a directory: rm fails on it.
  const blocker = path.join(stateDir, 'gcroots', `app--${'0'.repeat(40)}`);
  mkdirSync(blocker, { recursive: true });
  writeFileSync(path.join(blocker, 'keep'), 'x');

  const opened = await serviceWithoutBuilds(stateDir);
  service = opened.service;
  const { logs } = opened;
  await service.addRepo({ path: repo, id: 'app' }).catch(() => undefined);
  expect(tipOf(service.list())).toBe(first);
  expect(logs.tail('app', 100).map((line) => line.text).join('\n')).toMatch(/Baselines of "app".*could not be computed/);

  rmSync(blocker, { recursive: true });
  writeFileSync(path.join(repo, 'next'), 'next');
  await git(repo, ['add', 'next']);
  await git(repo, ['commit', '-q', '-m', 'next']);
  const second = (await git(repo, ['rev-parse', 'HEAD'])).trim();
  await waitForTip(service, second);
}, 30_000);

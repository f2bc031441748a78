/**
 * The baseline service with everything real: a generated git repository using the shipped
 * incremental helper, the settings store, the build queue running real Nix (offline, a conf dir
 * the test owns), the ref watcher. Tracks the repository, prebuilds a branch's baseline through
 * the queue, and follows a commit that moves the baseline.
 */
import { existsSync, promises as fs, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BaselinesList } from '../../ipc/contract.js';
import { BuildService } from '../builds/buildService.js';
import { BuilderBarError } from '../errors.js';
import { FLAKE_FULL_BUILD_COMMAND } from '../incremental/defaultFullBuild.js';
import { generateProject, type GeneratedProject } from '../incremental/testing/generatedProject.js';
import { writeOfflineNixConf } from '../incremental/testing/offlineNix.js';
import { LogHub } from '../logs/logHub.js';
import { environmentNix } from '../nix/nixInstallation.js';
import { fakeInstallation, fixedNix } from '../nix/testing/fakeNix.js';
import { SettingsStore } from '../settings/settingsStore.js';
import { BaselineService, type BaselineServiceOptions } from './baselineService.js';

const DAY = 86_400;

function until(service: BaselineService, predicate: (list: BaselinesList) => boolean, what: string, timeoutMs = 120_000): Promise<BaselinesList> {
  return new Promise((resolve, reject) => {
    if (predicate(service.list())) return resolve(service.list());
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(service.list().repos[0]?.branches.map((b) => [b.branch, b.baseline.sha.slice(0, 7), b.prebuild.state]))}`));
    }, timeoutMs);
    const stop = service.onChange((list) => {
      if (!predicate(list)) return;
      clearTimeout(timer);
      stop();
      resolve(list);
    });
  });
}

describe('BaselineService (real git, real Nix)', () => {
  let root: string;
  let project: GeneratedProject;
  let service: BaselineService;
  let builds: BuildService;
  let env: Record<string, string>;
  let boundary: number;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'baseline-service-'));
    env = await writeOfflineNixConf(root);
    const logs = new LogHub({ ringLines: 1000, logDir: null });
    const stateDir = path.join(root, 'state');
    await fs.mkdir(stateDir);
    builds = await BuildService.open({
      stateDir,
      logs,
      buildEnvironment: async () => env,
      nix: environmentNix(),
      builderReady: () => true,
      ensureBuilderReady: async () => undefined,
    });
    const settings = await SettingsStore.open({ file: path.join(stateDir, 'settings.json'), limits: { cpus: 64, memoryMiB: 262144 }, logs, platform: 'linux' });
    service = await BaselineService.open({
      settings,
      logs,
      stateDir,
      startBuild: (target) => builds.start(target),
      onBuild: (listener) => builds.onBuild(listener),
      nixEnvironment: async () => env,
      nix: environmentNix(),
      missingPollMs: 300,
    });
    boundary = Math.floor(Date.now() / 1000 / DAY) * DAY;
    project = await generateProject(path.join(root, 'repo'));
  });

  /** Closes the service and opens a new one over the same state dir and settings file. */
  async function reopen(extra: Partial<BaselineServiceOptions> = {}): Promise<void> {
    service.close();
    const logs = new LogHub({ ringLines: 100, logDir: null });
    const settings = await SettingsStore.open({ file: path.join(root, 'state', 'settings.json'), limits: { cpus: 64, memoryMiB: 262144 }, logs, platform: 'linux' });
    service = await BaselineService.open({
      settings,
      logs,
      stateDir: path.join(root, 'state'),
      startBuild: (target) => builds.start(target),
      onBuild: (listener) => builds.onBuild(listener),
      nixEnvironment: async () => env,
      nix: environmentNix(),
      ...extra,
    });
  }

  afterEach(async () => {
    service.close();
    await builds.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('tracks a repository, prebuilds a baseline once, and follows a commit that moves it', async () => {
    const base = await project.commit(boundary - 2 * 3600, 'base', { A: 'module A', B: 'module B' });
    await project.commit(boundary + 1, 'after the boundary', { B: 'module B, changed' });

    await expect(service.addRepo({ path: path.join(root, 'nowhere') })).rejects.toBeInstanceOf(BuilderBarError);
    const added = await service.addRepo({ path: project.dir });
    const repo = added.repos[0]!;
    expect(repo.repo).toMatchObject({ id: 'repo', intervalSeconds: DAY, timeSource: 'wall-clock' });
    const main = repo.branches.find((branch) => branch.branch === 'main')!;
    expect(main.baseline.sha).toBe(base);
    expect(main.boundary).toBe(boundary);
    expect(main.prebuild.state).toBe('none');

    await service.prebuild('repo', 'main');
    const built = await until(service, (list) => list.repos[0]?.branches[0]?.prebuild.state === 'built', 'the prebuild');
    const outPath = built.repos[0]!.branches[0]!.prebuild.outPath!;
    expect(outPath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-/);
    expect(existsSync(outPath)).toBe(true);
    // The full build is kept from garbage collection by a root in the state dir.
    const rootLink = path.join(root, 'state', 'gcroots', `repo--${base}`);
    expect(readlinkSync(rootLink)).toBe(outPath);

    // Asking again starts nothing new.
    const countBefore = builds.list().length;
    await service.prebuild('repo', 'main');
    expect(builds.list().length).toBe(countBefore);

    // A commit dated before B lands: the watcher sees it and the baseline moves, not yet built.
    const moved = await project.commit(boundary - 60, 'late fix, dated before the boundary', { A: 'module A, fixed' });
    const after = await until(service, (list) => list.repos[0]?.branches[0]?.baseline.sha === moved, 'the baseline to move');
    expect(after.repos[0]!.branches[0]!.prebuild.state).toBe('none');
    const oracle = (await execa('git', ['rev-list', `--before=${boundary}`, '-1', 'main'], { cwd: project.dir })).stdout.trim();
    expect(moved).toBe(oracle);
    // The old baseline's root is dropped: no branch uses it now.
    expect(existsSync(rootLink)).toBe(false);

    await service.removeRepo('repo');
    expect(service.list().repos).toEqual([]);
  });

  it('opens without waiting for the history: a tracked repository shows as computing, then its baselines arrive', async () => {
    const base = await project.commit(boundary - 3600, 'base', { A: 'a' });
    await service.addRepo({ path: project.dir });
    // A second core over the same settings, as after a restart.
    await reopen();
    const first = service.list().repos[0]!;
    expect(first.state).toBe('computing');
    expect(first.branches).toEqual([]);
    await expect(service.prebuild('repo', 'main')).rejects.toThrow(/still being computed/);
    const ready = await until(service, (list) => list.repos[0]?.state === 'ok', 'the first computation');
    expect(ready.repos[0]!.branches[0]!.baseline.sha).toBe(base);
  });

  it('refuses to prebuild a flake command for a path that the Nix in use (before 2.19) cannot read, before queueing anything', async () => {
    await project.commit(boundary - 3600, 'base', { A: 'a' });
    const odd = path.join(root, 'my project');
    await fs.rename(project.dir, odd);
    await reopen({ nix: fixedNix(fakeInstallation('/opt/nix-2.18/bin', '2.18.1')) });
    await service.addRepo({ path: odd, fullBuild: [...FLAKE_FULL_BUILD_COMMAND] });
    const before = builds.list().length;
    await expect(service.prebuild('my-project', 'main')).rejects.toThrow(/Cannot prebuild the flake at .*my project: .* needs Nix >= 2\.19; \/opt\/nix-2\.18\/bin has Nix 2\.18\.1\./);
    expect(builds.list().length).toBe(before);
  });

  it('shows a repository that is moved away as missing, and again when it comes back', async () => {
    await project.commit(boundary - 3600, 'base', { A: 'a' });
    await service.addRepo({ path: project.dir });
    const away = `${project.dir}-moved`;
    await fs.rename(project.dir, away);
    const missing = await until(service, (list) => list.repos[0]?.state === 'missing', 'missing', 30_000);
    expect(missing.repos[0]!.message).toContain(project.dir);
    await fs.rename(away, project.dir);
    await until(service, (list) => list.repos[0]?.state === 'ok', 'back', 30_000);
  });
});

/**
 * The baseline service with everything real: a generated git repository using the shipped
 * incremental helper, the settings store, the build queue running real Nix (offline, a conf dir
 * the test owns), the ref watcher. Tracks the repository, prebuilds a branch's baseline through
 * the queue, and follows a commit that moves the baseline. The prebuild tests run on every Nix
 * the tests have (nixVersions(); the version in each title), chosen as a user chooses it, by the
 * `nixBinDir` setting; the builder stamps the evaluating Nix's version into its output and a
 * poisoned `nix` first on PATH fails a test that runs Nix by bare name.
 */
import { existsSync, promises as fs, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BaselinesList } from '../../ipc/contract.js';
import { BuildService } from '../builds/buildService.js';
import { BuilderBarError } from '../errors.js';
import { FLAKE_FULL_BUILD_COMMAND } from '../incremental/defaultFullBuild.js';
import { generateProject, type GeneratedProject } from '../incremental/testing/generatedProject.js';
import { poisonNixOnPath, writeOfflineNixConf, type PoisonedPath } from '../incremental/testing/offlineNix.js';
import { LogHub } from '../logs/logHub.js';
import { environmentNix, NixLocator, type NixResolver } from '../nix/nixInstallation.js';
import { fakeInstallation, fixedNix } from '../nix/testing/fakeNix.js';
import { hostPathOf, nixVersions, type TestNix } from '../nix/testing/nixVersions.js';
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

/** The built full build's manifest (incremental/testing/moduleBuilder.nix), read on the host. */
function manifestOf(nix: TestNix, outPath: string): Record<string, string> {
  const text = readFileSync(hostPathOf(nix, path.join(outPath, 'manifest')), 'utf8');
  return Object.fromEntries(text.trim().split('\n').map((line) => [line.split(' ')[0] ?? '', line.split(' ').slice(1).join(' ').trim()]));
}

interface Rig {
  root: string;
  project: GeneratedProject;
  service: BaselineService;
  builds: BuildService;
  env: Record<string, string>;
  boundary: number;
  /** Closes the service and opens a new one over the same state dir and settings file. */
  reopen(extra?: Partial<BaselineServiceOptions>): Promise<void>;
  close(): Promise<void>;
}

/** A build queue and a baseline service over a fresh state dir, running the Nix `nix` resolves to. */
async function openRig(nix: NixResolver, storePathExists?: (storePath: string) => Promise<boolean>): Promise<Rig> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'baseline-service-'));
  const env = await writeOfflineNixConf(root);
  const logs = new LogHub({ ringLines: 1000, logDir: null });
  const stateDir = path.join(root, 'state');
  await fs.mkdir(stateDir);
  const builds = await BuildService.open({
    stateDir,
    logs,
    buildEnvironment: async () => env,
    nix,
    builderReady: () => true,
    ensureBuilderReady: async () => undefined,
  });
  const open = async (extra: Partial<BaselineServiceOptions> = {}): Promise<BaselineService> => {
    const serviceLogs = new LogHub({ ringLines: 1000, logDir: null });
    const settings = await SettingsStore.open({ file: path.join(stateDir, 'settings.json'), limits: { cpus: 64, memoryMiB: 262144 }, logs: serviceLogs, platform: 'linux' });
    return BaselineService.open({
      settings,
      logs: serviceLogs,
      stateDir,
      startBuild: (target) => builds.start(target),
      onBuild: (listener) => builds.onBuild(listener),
      nixEnvironment: async () => env,
      nix,
      missingPollMs: 300,
      ...(storePathExists ? { storePathExists } : {}),
      ...extra,
    });
  };
  const rig: Rig = {
    root,
    env,
    builds,
    service: await open(),
    project: await generateProject(path.join(root, 'repo')),
    boundary: Math.floor(Date.now() / 1000 / DAY) * DAY,
    async reopen(extra = {}) {
      rig.service.close();
      rig.service = await open(extra);
    },
    async close() {
      rig.service.close();
      await builds.close();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
  return rig;
}

let poison: PoisonedPath;
let poisonDir: string;
let realPath: string | undefined;

beforeAll(async () => {
  // Every Nix these tests run comes from the setting (or the test's own absolute paths): a
  // bare-name spawn anywhere in the service, the queue or the GC roots runs one of these.
  poisonDir = await fs.mkdtemp(path.join(os.tmpdir(), 'baseline-service-path-'));
  poison = await poisonNixOnPath(poisonDir);
  realPath = process.env.PATH;
  process.env.PATH = poison.path;
});

afterAll(async () => {
  process.env.PATH = realPath;
  await fs.rm(poisonDir, { recursive: true, force: true });
});

describe.each(nixVersions())('BaselineService prebuilds on $label (the nixBinDir setting)', (nix: TestNix) => {
  let rig: Rig;

  beforeEach(async () => {
    // Chosen as a user chooses it: the nixBinDir setting. Its store may not be the host's
    // /nix/store (the current Nix keeps it in its own root): presence is looked up there.
    const storePathExists = (storePath: string): Promise<boolean> => fs.lstat(hostPathOf(nix, storePath)).then(() => true, () => false);
    rig = await openRig(new NixLocator({ setting: () => nix.binDir }), storePathExists);
  });

  afterEach(async () => {
    await rig.close();
    expect(await poison.takeCalls(), 'a Nix program was run from PATH, not from the nixBinDir setting').toEqual([]);
  });

  /** The full build's `intermediates` output is rooted beside `out` and cannot be deleted; answers its path. */
  async function expectIntermediatesRooted(rootLink: string, outPath: string): Promise<string> {
    const nixStore = path.join(nix.binDir, 'nix-store');
    const drv = (await execa(nixStore, ['--query', '--deriver', outPath], { env: rig.env, stdin: 'ignore' })).stdout.trim();
    const outputs = (await execa(nixStore, ['--query', '--outputs', drv], { env: rig.env, stdin: 'ignore' })).stdout.split('\n');
    const intermediates = outputs.find((output) => output.endsWith('-intermediates'));
    expect(intermediates, outputs.join(', ')).toBeDefined();
    expect(readlinkSync(`${rootLink}-intermediates`)).toBe(intermediates);
    const deletion = await execa(nixStore, ['--delete', intermediates!], { env: rig.env, stdin: 'ignore', reject: false });
    expect(deletion.exitCode, 'nix-store --delete took the intermediates an incremental build reuses').not.toBe(0);
    expect(existsSync(hostPathOf(nix, intermediates!))).toBe(true);
    return intermediates!;
  }

  it('tracks a repository, prebuilds a baseline once, roots it, and follows a commit that moves it', async () => {
    const { project, boundary, root } = rig;
    const base = await project.commit(boundary - 2 * 3600, 'base', { A: 'module A', B: 'module B' });
    await project.commit(boundary + 1, 'after the boundary', { B: 'module B, changed' });

    await expect(rig.service.addRepo({ path: path.join(root, 'nowhere') })).rejects.toBeInstanceOf(BuilderBarError);
    const added = await rig.service.addRepo({ path: project.dir });
    const repo = added.repos[0]!;
    expect(repo.repo).toMatchObject({ id: 'repo', intervalSeconds: DAY, timeSource: 'wall-clock' });
    const main = repo.branches.find((branch) => branch.branch === 'main')!;
    expect(main.baseline.sha).toBe(base);
    expect(main.boundary).toBe(boundary);
    expect(main.prebuild.state).toBe('none');

    const before = await project.snapshot();
    await rig.service.prebuild('repo', 'main');
    const built = await until(rig.service, (list) => list.repos[0]?.branches[0]?.prebuild.state === 'built', 'the prebuild');
    const outPath = built.repos[0]!.branches[0]!.prebuild.outPath!;
    expect(outPath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-/);
    expect(existsSync(hostPathOf(nix, outPath))).toBe(true);
    // Built by the Nix the setting names, from the baseline.
    expect(manifestOf(nix, outPath)).toMatchObject({ nix: nix.version, compiled: 'A B' });
    expect(await project.snapshot()).toEqual(before);
    // The full build is kept from garbage collection by a root in the state dir, registered
    // with that Nix's own store.
    const rootLink = path.join(root, 'state', 'gcroots', `repo--${base}`);
    expect(readlinkSync(rootLink)).toBe(outPath);
    const roots = await execa(path.join(nix.binDir, 'nix-store'), ['--query', '--roots', outPath], { env: rig.env, stdin: 'ignore' });
    expect(roots.stdout).toContain(`${rootLink} -> ${outPath}`);
    // What the incremental build reuses is the full build's other output, which `out` does not
    // refer to: it is rooted too, so a garbage collection cannot take it.
    const intermediates = await expectIntermediatesRooted(rootLink, outPath);

    // Asking again starts nothing new.
    const countBefore = rig.builds.list().length;
    await rig.service.prebuild('repo', 'main');
    expect(rig.builds.list().length).toBe(countBefore);

    // A commit dated before B lands: the watcher sees it and the baseline moves, not yet built.
    const moved = await project.commit(boundary - 60, 'late fix, dated before the boundary', { A: 'module A, fixed' });
    const after = await until(rig.service, (list) => list.repos[0]?.branches[0]?.baseline.sha === moved, 'the baseline to move');
    expect(after.repos[0]!.branches[0]!.prebuild.state).toBe('none');
    const oracle = (await execa('git', ['rev-list', `--before=${boundary}`, '-1', 'main'], { cwd: project.dir })).stdout.trim();
    expect(moved).toBe(oracle);
    // The old baseline's roots are dropped: no branch uses it now.
    expect(existsSync(rootLink)).toBe(false);
    expect(existsSync(`${rootLink}-intermediates`)).toBe(false);
    expect(existsSync(hostPathOf(nix, intermediates))).toBe(true);

    await rig.service.removeRepo('repo');
    expect(rig.service.list().repos).toEqual([]);
  });

  it('prebuilds the flake form (--override-input), never touching the checkout', async () => {
    const { project, boundary } = rig;
    const base = await project.commit(boundary - 2 * 3600, 'base', { A: 'module A', B: 'module B' });
    await project.commit(boundary + 1, 'after the boundary', { B: 'module B, changed' });
    await rig.service.addRepo({ path: project.dir, fullBuild: [...FLAKE_FULL_BUILD_COMMAND] });
    // Work in progress in the checkout: a changed tracked file and a new one.
    await fs.writeFile(path.join(project.dir, 'modules', 'A.mod'), 'module A, being edited\n');
    await fs.writeFile(path.join(project.dir, 'modules', 'N.mod'), 'module N, new\n');
    const before = await project.snapshot();

    await rig.service.prebuild('repo', 'main');
    const built = await until(rig.service, (list) => ['built', 'failed'].includes(list.repos[0]?.branches[0]?.prebuild.state ?? ''), 'the flake prebuild');
    const prebuild = built.repos[0]!.branches[0]!.prebuild;
    expect(prebuild.state, JSON.stringify(rig.builds.list().at(-1))).toBe('built');
    expect(manifestOf(nix, prebuild.outPath!)).toMatchObject({ nix: nix.version, compiled: 'A B' });
    const rootLink = path.join(rig.root, 'state', 'gcroots', `repo--${base}`);
    expect(readlinkSync(rootLink)).toBe(prebuild.outPath);
    // `nix build --json` named `out` only; the intermediates are rooted all the same.
    await expectIntermediatesRooted(rootLink, prebuild.outPath!);
    // No flake.lock, nothing staged, the edits as they were.
    expect(await project.snapshot()).toEqual(before);
  });
});

describe('BaselineService (real git)', () => {
  let rig: Rig;

  beforeEach(async () => {
    rig = await openRig(environmentNix({ ...process.env, PATH: realPath }));
  });

  afterEach(async () => {
    await rig.close();
  });

  it('opens without waiting for the history: a tracked repository shows as computing, then its baselines arrive', async () => {
    const base = await rig.project.commit(rig.boundary - 3600, 'base', { A: 'a' });
    await rig.service.addRepo({ path: rig.project.dir });
    // A second core over the same settings, as after a restart.
    await rig.reopen();
    const first = rig.service.list().repos[0]!;
    expect(first.state).toBe('computing');
    expect(first.branches).toEqual([]);
    await expect(rig.service.prebuild('repo', 'main')).rejects.toThrow(/still being computed/);
    const ready = await until(rig.service, (list) => list.repos[0]?.state === 'ok', 'the first computation');
    expect(ready.repos[0]!.branches[0]!.baseline.sha).toBe(base);
  });

  it('refuses to prebuild a flake command for a path that the Nix in use (before 2.19) cannot read, before queueing anything', async () => {
    await rig.project.commit(rig.boundary - 3600, 'base', { A: 'a' });
    const odd = path.join(rig.root, 'my project');
    await fs.rename(rig.project.dir, odd);
    await rig.reopen({ nix: fixedNix(fakeInstallation('/opt/nix-2.18/bin', '2.18.1')) });
    await rig.service.addRepo({ path: odd, fullBuild: [...FLAKE_FULL_BUILD_COMMAND] });
    const before = rig.builds.list().length;
    await expect(rig.service.prebuild('my-project', 'main')).rejects.toThrow(/Cannot prebuild the flake at .*my project: .* needs Nix >= 2\.19; \/opt\/nix-2\.18\/bin has Nix 2\.18\.1\./);
    expect(rig.builds.list().length).toBe(before);
  });

  it('shows a repository that is moved away as missing, and again when it comes back', async () => {
    await rig.project.commit(rig.boundary - 3600, 'base', { A: 'a' });
    await rig.service.addRepo({ path: rig.project.dir });
    const away = `${rig.project.dir}-moved`;
    await fs.rename(rig.project.dir, away);
    const missing = await until(rig.service, (list) => list.repos[0]?.state === 'missing', 'missing', 30_000);
    expect(missing.repos[0]!.message).toContain(rig.project.dir);
    await fs.rename(away, rig.project.dir);
    await until(rig.service, (list) => list.repos[0]?.state === 'ok', 'back', 30_000);
  });
});

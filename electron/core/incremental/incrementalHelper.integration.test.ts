/**
 * Builder Bar's incremental helper (`resources/nix/incremental.nix`) on real Nix 2.8, offline,
 * with `/bin/sh` builders: the full build from the baseline revision Builder Bar computed, then
 * the incremental build from the current revision, for both forms (nix-build with the baseline
 * sha as an argument; a flake whose `baseline` input is overridden). Reuse is proved, not
 * assumed: the full build stamps every module it compiles with a random nonce, so an object in
 * the incremental output carrying that nonce was copied from the full build's output, and the
 * internal-json log names every derivation Nix built in each run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nixHas } from '../nix/nixFeatures.js';
import { environmentNix } from '../nix/nixInstallation.js';
import { DEFAULT_FULL_BUILD_COMMAND, FLAKE_FULL_BUILD_COMMAND } from './defaultFullBuild.js';
import { assertRepoUrlReadable } from './flakeUrlSupport.js';
import { expandFullBuildCommand } from './expandFullBuildCommand.js';
import { generateProject, type GeneratedProject } from './testing/generatedProject.js';
import { nixMessages, nixProgram, nixStore, runNix, writeOfflineNixConf, type NixEnvironment } from './testing/offlineNix.js';

const DAY = 86_400;
// 2023-11-14 22:13:20 UTC; the current commit lands the next day, after the boundary.
const BASELINE_TIME = 1_700_000_000;
const CURRENT_TIME = BASELINE_TIME + 100_000;
const FLAKES = ['--extra-experimental-features', 'nix-command flakes'];

let root: string;
let env: NixEnvironment;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-incremental-int-'));
  env = await writeOfflineNixConf(root);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

interface Manifest {
  nonce: string;
  previous: string;
  compiled: string[];
  reused: string[];
}

function readManifest(outPath: string): Manifest {
  const fields = new Map(
    readFileSync(path.join(outPath, 'manifest'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [key = '', ...rest] = line.split(' ');
        return [key, rest.filter((word) => word.length > 0)] as const;
      }),
  );
  return {
    nonce: fields.get('nonce')?.[0] ?? '',
    previous: fields.get('previous')?.[0] ?? '',
    compiled: fields.get('compiled') ?? [],
    reused: fields.get('reused') ?? [],
  };
}

const objectOf = (intermediates: string, module: string): string => readFileSync(path.join(intermediates, 'objects', `${module}.o`), 'utf8');

/** Both outputs of a built derivation, by name. */
async function outputsOf(drvPath: string): Promise<{ out: string; intermediates: string }> {
  const outputs = await nixStore(['--query', '--outputs', drvPath], env);
  const intermediates = outputs.find((output) => output.endsWith('-intermediates'));
  const out = outputs.find((output) => !output.endsWith('-intermediates'));
  if (!out || !intermediates) throw new Error(`unexpected outputs of ${drvPath}: ${outputs.join(', ')}`);
  return { out, intermediates };
}

async function instantiate(project: GeneratedProject, attr: string, args: string[]): Promise<string> {
  const { stdout } = await execa(await nixProgram('nix-instantiate'), [path.join(project.dir, 'nix', 'incremental.nix'), ...args, '-A', attr], {
    env,
    stdin: 'ignore',
  });
  return stdout.trim();
}

/** Two commits a day apart; the baseline is chosen exactly as FACTS.md section 3 says. */
async function twoCommitProject(name: string): Promise<{ project: GeneratedProject; baseline: string; current: string }> {
  const project = await generateProject(path.join(root, name));
  const baseline = await project.commit(BASELINE_TIME, 'baseline: A B C', { A: 'module A v1', B: 'module B v1', C: 'module C v1' });
  const current = await project.commit(CURRENT_TIME, 'current: change B, add D', { B: 'module B v2', D: 'module D v1' });
  const boundary = Math.floor(CURRENT_TIME / DAY) * DAY;
  expect(BASELINE_TIME).toBeLessThanOrEqual(boundary);
  expect(CURRENT_TIME).toBeGreaterThan(boundary);
  expect(await project.git(['rev-list', `--before=${boundary}`, '-1', 'main'])).toBe(baseline);
  return { project, baseline, current };
}

function expectSuccess(run: { exitCode: number; stderr: string }): void {
  expect(run.exitCode, nixMessages(run.stderr)).toBe(0);
}

describe('the generic helper, nix-build form (baseline sha as an argument)', () => {
  it('the incremental build reuses the full build of the baseline: only changed modules are recompiled', async () => {
    const { project, baseline, current } = await twoCommitProject('plain');
    const fullDrv = await instantiate(project, 'full', ['--argstr', 'baselineRev', baseline]);
    const incrementalDrv = await instantiate(project, 'incremental', ['--argstr', 'baselineRev', baseline, '--argstr', 'rev', current]);

    // Builder Bar's default full-build command, expanded exactly as the build queue will run it.
    const fullBuild = expandFullBuildCommand(DEFAULT_FULL_BUILD_COMMAND, { rev: baseline, repo: project.dir, branch: 'main' });
    const full = await runNix(fullBuild, env);
    expectSuccess(full);
    expect(full.built).toEqual([fullDrv]);
    const fullOutputs = await outputsOf(fullDrv);
    expect(full.stdout.trim()).toBe(fullOutputs.out);
    const fullManifest = readManifest(fullOutputs.out);
    expect(fullManifest).toMatchObject({ previous: 'none', compiled: ['A', 'B', 'C'], reused: [] });
    expect(fullManifest.nonce).toMatch(/^[0-9a-f-]{36}$/);

    const incremental = await runNix(
      ['nix-build', path.join(project.dir, 'nix', 'incremental.nix'), '--argstr', 'baselineRev', baseline, '--argstr', 'rev', current, '-A', 'incremental', '--no-out-link'],
      env,
    );
    expectSuccess(incremental);
    // Only the incremental derivation was built: the full build was found, not redone.
    expect(incremental.built).toEqual([incrementalDrv]);
    const incrementalOutputs = await outputsOf(incrementalDrv);
    const manifest = readManifest(incrementalOutputs.out);
    expect(manifest.previous).toBe(fullOutputs.intermediates);
    expect(manifest.compiled).toEqual(['B', 'D']);
    expect(manifest.reused).toEqual(['A', 'C']);
    expect(manifest.nonce).not.toBe(fullManifest.nonce);

    // The reused objects are the full build's, byte for byte, stamped with its nonce.
    for (const module of ['A', 'C']) {
      expect(objectOf(incrementalOutputs.intermediates, module)).toBe(objectOf(fullOutputs.intermediates, module));
      expect(objectOf(incrementalOutputs.intermediates, module)).toContain(`compiled-by ${fullManifest.nonce}`);
    }
    for (const module of ['B', 'D']) expect(objectOf(incrementalOutputs.intermediates, module)).toContain(`compiled-by ${manifest.nonce}`);
    expect(objectOf(incrementalOutputs.intermediates, 'B')).toContain('module B v2');
    // Nix knows it too: the full build's products are an input of the incremental derivation.
    expect(await nixStore(['--query', '--references', incrementalDrv], env)).toContain(fullDrv);

    // The same baseline again: the same derivation, found valid, nothing built.
    const again = await runNix(fullBuild, env);
    expectSuccess(again);
    expect(again.built).toEqual([]);
    expect(again.stdout.trim()).toBe(fullOutputs.out);
    expect(readManifest(fullOutputs.out).nonce).toBe(fullManifest.nonce);
    expect((await nixStore(['--query', '--deriver', fullOutputs.out], env))[0]).toBe(fullDrv);

    // The full build depends on the baseline sha only: a later commit on the branch does not
    // change it, another baseline does.
    await project.commit(CURRENT_TIME + 60, 'later: change C', { C: 'module C v2' });
    expect(await instantiate(project, 'full', ['--argstr', 'baselineRev', baseline])).toBe(fullDrv);
    expect(await instantiate(project, 'full', ['--argstr', 'baselineRev', current])).not.toBe(fullDrv);
  });

  it('a baseline that is not a full sha is refused with a message that says so', async () => {
    const { project } = await twoCommitProject('refused');
    const run = await runNix(['nix-build', path.join(project.dir, 'nix', 'incremental.nix'), '--argstr', 'baselineRev', 'HEAD~1', '-A', 'full', '--no-out-link'], env);
    expect(run.exitCode).not.toBe(0);
    expect(nixMessages(run.stderr)).toContain('baselineRev must be a full commit sha (40 hex digits), got "HEAD~1"');
    expect(run.built).toEqual([]);
  });
});

describe('the generic helper, flake form (the baseline input overridden)', () => {
  it('the incremental build reuses the overridden baseline full build, offline, without writing a lock file', async () => {
    const { project, baseline } = await twoCommitProject('flake');
    const override = (rev: string): string[] => ['--override-input', 'baseline', `git+file:${project.dir}?rev=${rev}`];

    const fullBuild = expandFullBuildCommand(FLAKE_FULL_BUILD_COMMAND, { rev: baseline, repo: project.dir, branch: 'main' });
    const full = await runNix([...fullBuild, '--json'], env);
    expectSuccess(full);
    expect(full.built).toHaveLength(1);
    const [fullResult] = JSON.parse(full.stdout) as Array<{ drvPath: string; outputs: Record<string, string> }>;
    const fullDrv = fullResult?.drvPath ?? '';
    expect(full.built).toEqual([fullDrv]);
    const fullOutputs = await outputsOf(fullDrv);
    const fullManifest = readManifest(fullOutputs.out);
    expect(fullManifest).toMatchObject({ previous: 'none', compiled: ['A', 'B', 'C'], reused: [] });

    // A flake in a git repository sees tracked files only: this module is invisible to it.
    writeFileSync(path.join(project.dir, 'modules', 'E.mod'), 'module E, never added\n');

    const incremental = await runNix(['nix', 'build', ...FLAKES, `${project.dir}#incremental`, ...override(baseline), '--no-link', '--json'], env, project.dir);
    expectSuccess(incremental);
    const [incrementalResult] = JSON.parse(incremental.stdout) as Array<{ drvPath: string }>;
    expect(incremental.built).toEqual([incrementalResult?.drvPath]);
    const incrementalOutputs = await outputsOf(incrementalResult?.drvPath ?? '');
    const manifest = readManifest(incrementalOutputs.out);
    expect(manifest).toMatchObject({ previous: fullOutputs.intermediates, compiled: ['B', 'D'], reused: ['A', 'C'] });
    for (const module of ['A', 'C']) expect(objectOf(incrementalOutputs.intermediates, module)).toContain(`compiled-by ${fullManifest.nonce}`);

    // Same override again: a cache hit. The nix-build form of the same baseline is the very same
    // derivation, so one prebuild serves both forms.
    const again = await runNix([...fullBuild, '--json'], env);
    expectSuccess(again);
    expect(again.built).toEqual([]);
    expect(await instantiate(project, 'full', ['--argstr', 'baselineRev', baseline])).toBe(fullDrv);

    // --override-input implies --no-write-lock-file: the repository is left as it was.
    expect(await project.git(['status', '--porcelain'])).toBe('?? modules/E.mod');
  });

  it('a repository whose path has a space, # and ?: built where Nix decodes its URL, refused up front where it cannot', async () => {
    const { project, baseline } = await twoCommitProject('flake dir #2?x');
    const fullBuild = expandFullBuildCommand(FLAKE_FULL_BUILD_COMMAND, { rev: baseline, repo: project.dir, branch: 'main' });
    const nix = await environmentNix().require();
    const full = await runNix([...fullBuild, '--json'], env);
    if (nixHas(nix.version, 'flake-url-percent-decoding')) {
      await expect(assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, project.dir, async () => nix)).resolves.toBeUndefined();
      expectSuccess(full);
      const [fullResult] = JSON.parse(full.stdout) as Array<{ drvPath: string }>;
      // The same derivation as the nix-build form of this baseline: the override took the sha.
      expect(await instantiate(project, 'full', ['--argstr', 'baselineRev', baseline])).toBe(fullResult?.drvPath);
    } else {
      // This Nix (2.8 on Debian) misreads the percent-encoded path with a git error that names no
      // cause; Builder Bar says why before running it.
      expect(full.exitCode).not.toBe(0);
      await expect(assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, project.dir, async () => nix)).rejects.toThrow(/Cannot prebuild the flake at .*flake dir #2\?x: .* needs Nix >= 2\.19; /);
    }
  });

  it('without the override the build fails on the unset baseline, and says so', async () => {
    const { project } = await twoCommitProject('flake-unset');
    const run = await runNix(['nix', 'build', ...FLAKES, `${project.dir}#full`, '--no-link'], env, project.dir);
    expect(run.exitCode).not.toBe(0);
    expect(nixMessages(run.stderr)).toMatch(/builder-bar-baseline-not-set--pass-override-input-baseline/);
    expect(run.built).toEqual([]);
  });
});

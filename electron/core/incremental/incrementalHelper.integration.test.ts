/**
 * Builder Bar's incremental helper (`resources/nix/incremental.nix`) on every Nix the tests have
 * (nixVersions(): the host's 2.8 and a current one; the version is in each title), offline, with
 * `/bin/sh` builders: the full build from the baseline revision Builder Bar computed, then the
 * incremental build from the current revision, for both forms (nix-build with the baseline sha
 * as an argument; a flake whose `baseline` input is overridden). Reuse is proved, not assumed:
 * the full build stamps every module it compiles with a random nonce, so an object in the
 * incremental output carrying that nonce was copied from the full build's output, and the
 * internal-json log names every derivation Nix built in each run. Which Nix ran is proved too:
 * the builder records `builtins.nixVersion`, and a `nix` first on PATH fails every test that
 * reaches for it. What differs by version is fullBuildNixSupport.ts's; what is the same on both
 * (the lock file left alone, a dirty tree built as it is) is pinned here on each.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nixHas } from '../nix/nixFeatures.js';
import { hostPathOf, nixVersions, type TestNix } from '../nix/testing/nixVersions.js';
import { DEFAULT_FULL_BUILD_COMMAND, FLAKE_FULL_BUILD_COMMAND } from './defaultFullBuild.js';
import { assertRepoUrlReadable } from './flakeUrlSupport.js';
import { expandFullBuildCommand } from './expandFullBuildCommand.js';
import { generateProject, type GeneratedProject } from './testing/generatedProject.js';
import { nixMessages, nixProgram, nixStore, poisonNixOnPath, runNix, writeOfflineNixConf, type NixEnvironment, type NixRun, type PoisonedPath } from './testing/offlineNix.js';

const DAY = 86_400;
// 2023-11-14 22:13:20 UTC; the current commit lands the next day, after the boundary.
const BASELINE_TIME = 1_700_000_000;
const CURRENT_TIME = BASELINE_TIME + 100_000;
const FLAKES = ['--extra-experimental-features', 'nix-command flakes'];

let root: string;
let poison: PoisonedPath;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-incremental-int-'));
  poison = await poisonNixOnPath(path.join(root, 'poisoned-bin'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

interface Manifest {
  nonce: string;
  /** `builtins.nixVersion` of the Nix that evaluated the build. */
  nix: string;
  previous: string;
  compiled: string[];
  reused: string[];
}

function parseManifest(text: string): Manifest {
  const fields = new Map(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const [key = '', ...rest] = line.split(' ');
        return [key, rest.filter((word) => word.length > 0)] as const;
      }),
  );
  return {
    nonce: fields.get('nonce')?.[0] ?? '',
    nix: fields.get('nix')?.[0] ?? '',
    previous: fields.get('previous')?.[0] ?? '',
    compiled: fields.get('compiled') ?? [],
    reused: fields.get('reused') ?? [],
  };
}

function expectSuccess(run: { exitCode: number; stderr: string }): void {
  expect(run.exitCode, nixMessages(run.stderr)).toBe(0);
}

describe.each(nixVersions())('$label', (nix: TestNix) => {
  let env: NixEnvironment;

  beforeAll(async () => {
    // A conf dir and git caches per version: their cache formats differ.
    const dir = path.join(root, nix.version);
    env = { ...(await writeOfflineNixConf(dir)), PATH: poison.path };
  });

  afterEach(async () => {
    expect(await poison.takeCalls(), 'a Nix program was run from PATH, not from the chosen Nix').toEqual([]);
  });

  const run = (argv: readonly string[], cwd?: string): Promise<NixRun> => runNix(nix, argv, env, cwd);
  // Store paths as the host sees them: the current Nix keeps its store inside its own root.
  const readManifest = (outPath: string): Manifest => parseManifest(readFileSync(hostPathOf(nix, path.join(outPath, 'manifest')), 'utf8'));
  const objectOf = (intermediates: string, module: string): string => readFileSync(hostPathOf(nix, path.join(intermediates, 'objects', `${module}.o`)), 'utf8');

  /** Both outputs of a built derivation, by name. */
  async function outputsOf(drvPath: string): Promise<{ out: string; intermediates: string }> {
    const outputs = await nixStore(nix, ['--query', '--outputs', drvPath], env);
    const intermediates = outputs.find((output) => output.endsWith('-intermediates'));
    const out = outputs.find((output) => !output.endsWith('-intermediates'));
    if (!out || !intermediates) throw new Error(`unexpected outputs of ${drvPath}: ${outputs.join(', ')}`);
    return { out, intermediates };
  }

  async function instantiate(project: GeneratedProject, attr: string, args: string[]): Promise<string> {
    const { stdout } = await execa(nixProgram(nix, 'nix-instantiate'), [path.join(project.dir, 'nix', 'incremental.nix'), ...args, '-A', attr], {
      env,
      stdin: 'ignore',
    });
    return stdout.trim();
  }

  /** Two commits a day apart; the baseline is chosen exactly as FACTS.md section 3 says. */
  async function twoCommitProject(name: string): Promise<{ project: GeneratedProject; baseline: string; current: string }> {
    const project = await generateProject(path.join(root, nix.version, name));
    const baseline = await project.commit(BASELINE_TIME, 'baseline: A B C', { A: 'module A v1', B: 'module B v1', C: 'module C v1' });
    const current = await project.commit(CURRENT_TIME, 'current: change B, add D', { B: 'module B v2', D: 'module D v1' });
    const boundary = Math.floor(CURRENT_TIME / DAY) * DAY;
    expect(BASELINE_TIME).toBeLessThanOrEqual(boundary);
    expect(CURRENT_TIME).toBeGreaterThan(boundary);
    expect(await project.git(['rev-list', `--before=${boundary}`, '-1', 'main'])).toBe(baseline);
    return { project, baseline, current };
  }

  /** The flake form's full build as Builder Bar expands it, with `--json` to learn what it built. */
  async function flakeFullBuild(project: GeneratedProject, rev: string, command = FLAKE_FULL_BUILD_COMMAND): Promise<{ run: NixRun; drvPath: string; out: string }> {
    const result = await run([...expandFullBuildCommand(command, { rev, repo: project.dir, branch: 'main' }), '--json']);
    expectSuccess(result);
    const [built] = JSON.parse(result.stdout) as Array<{ drvPath: string; outputs: Record<string, string> }>;
    return { run: result, drvPath: built?.drvPath ?? '', out: built?.outputs.out ?? '' };
  }

  describe('the generic helper, nix-build form (baseline sha as an argument)', () => {
    it('the incremental build reuses the full build of the baseline: only changed modules are recompiled', async () => {
      const { project, baseline, current } = await twoCommitProject('plain');
      const fullDrv = await instantiate(project, 'full', ['--argstr', 'baselineRev', baseline]);
      const incrementalDrv = await instantiate(project, 'incremental', ['--argstr', 'baselineRev', baseline, '--argstr', 'rev', current]);

      // Builder Bar's default full-build command, expanded exactly as the build queue will run it.
      const fullBuild = expandFullBuildCommand(DEFAULT_FULL_BUILD_COMMAND, { rev: baseline, repo: project.dir, branch: 'main' });
      const full = await run(fullBuild);
      expectSuccess(full);
      expect(full.built).toEqual([fullDrv]);
      const fullOutputs = await outputsOf(fullDrv);
      expect(full.stdout.trim()).toBe(fullOutputs.out);
      const fullManifest = readManifest(fullOutputs.out);
      expect(fullManifest).toMatchObject({ nix: nix.version, previous: 'none', compiled: ['A', 'B', 'C'], reused: [] });
      expect(fullManifest.nonce).toMatch(/^[0-9a-f-]{36}$/);

      const incremental = await run(['nix-build', path.join(project.dir, 'nix', 'incremental.nix'), '--argstr', 'baselineRev', baseline, '--argstr', 'rev', current, '-A', 'incremental', '--no-out-link']);
      expectSuccess(incremental);
      // Only the incremental derivation was built: the full build was found, not redone.
      expect(incremental.built).toEqual([incrementalDrv]);
      const incrementalOutputs = await outputsOf(incrementalDrv);
      const manifest = readManifest(incrementalOutputs.out);
      expect(manifest.nix).toBe(nix.version);
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
      expect(await nixStore(nix, ['--query', '--references', incrementalDrv], env)).toContain(fullDrv);

      // The same baseline again: the same derivation, found valid, nothing built.
      const again = await run(fullBuild);
      expectSuccess(again);
      expect(again.built).toEqual([]);
      expect(again.stdout.trim()).toBe(fullOutputs.out);
      expect(readManifest(fullOutputs.out).nonce).toBe(fullManifest.nonce);
      expect((await nixStore(nix, ['--query', '--deriver', fullOutputs.out], env))[0]).toBe(fullDrv);

      // The full build depends on the baseline sha only: a later commit on the branch does not
      // change it, another baseline does.
      await project.commit(CURRENT_TIME + 60, 'later: change C', { C: 'module C v2' });
      expect(await instantiate(project, 'full', ['--argstr', 'baselineRev', baseline])).toBe(fullDrv);
      expect(await instantiate(project, 'full', ['--argstr', 'baselineRev', current])).not.toBe(fullDrv);
    });

    it('a baseline that is not a full sha is refused with a message that says so', async () => {
      const { project } = await twoCommitProject('refused');
      const refused = await run(['nix-build', path.join(project.dir, 'nix', 'incremental.nix'), '--argstr', 'baselineRev', 'HEAD~1', '-A', 'full', '--no-out-link']);
      expect(refused.exitCode).not.toBe(0);
      expect(nixMessages(refused.stderr)).toContain('baselineRev must be a full commit sha (40 hex digits), got "HEAD~1"');
      expect(refused.built).toEqual([]);
    });
  });

  describe('the generic helper, flake form (the baseline input overridden)', () => {
    it('the incremental build reuses the overridden baseline full build, offline, without touching the checkout', async () => {
      const { project, baseline } = await twoCommitProject('flake');
      const override = (rev: string): string[] => ['--override-input', 'baseline', `git+file:${project.dir}?rev=${rev}`];

      const full = await flakeFullBuild(project, baseline);
      expect(full.run.built).toEqual([full.drvPath]);
      const fullOutputs = await outputsOf(full.drvPath);
      expect(full.out).toBe(fullOutputs.out);
      const fullManifest = readManifest(fullOutputs.out);
      expect(fullManifest).toMatchObject({ nix: nix.version, previous: 'none', compiled: ['A', 'B', 'C'], reused: [] });

      // A flake in a git repository sees tracked files only: this module is invisible to it.
      writeFileSync(path.join(project.dir, 'modules', 'E.mod'), 'module E, never added\n');
      const before = await project.snapshot();

      const incremental = await run(['nix', 'build', ...FLAKES, `${project.dir}#incremental`, ...override(baseline), '--no-link', '--json'], project.dir);
      expectSuccess(incremental);
      const [incrementalResult] = JSON.parse(incremental.stdout) as Array<{ drvPath: string }>;
      expect(incremental.built).toEqual([incrementalResult?.drvPath]);
      const incrementalOutputs = await outputsOf(incrementalResult?.drvPath ?? '');
      const manifest = readManifest(incrementalOutputs.out);
      expect(manifest).toMatchObject({ nix: nix.version, previous: fullOutputs.intermediates, compiled: ['B', 'D'], reused: ['A', 'C'] });
      for (const module of ['A', 'C']) expect(objectOf(incrementalOutputs.intermediates, module)).toContain(`compiled-by ${fullManifest.nonce}`);

      // Same override again: a cache hit. The nix-build form of the same baseline is the very same
      // derivation, so one prebuild serves both forms.
      const again = await flakeFullBuild(project, baseline);
      expect(again.run.built).toEqual([]);
      expect(await instantiate(project, 'full', ['--argstr', 'baselineRev', baseline])).toBe(full.drvPath);

      // --override-input implies --no-write-lock-file: no flake.lock, nothing staged, the
      // untracked module still untracked.
      expect(await project.snapshot()).toEqual(before);
      expect(await project.git(['status', '--porcelain'])).toBe('?? modules/E.mod');
    });

    it('a prebuild leaves a committed flake.lock byte for byte and a dirty tree as dirty as it was', async () => {
      const { project, baseline, current } = await twoCommitProject('flake-locked');
      // The user locked `baseline` to some revision themselves (nix flake lock --override-input
      // writes the override into the lock file). The current Nix's root has no git, so its
      // `git add` of the new lock file fails after writing it: the file is what matters here.
      await run(['nix', ...FLAKES, 'flake', 'lock', '--override-input', 'baseline', `git+file://${project.dir}?rev=${current}`], project.dir);
      expect(existsSync(path.join(project.dir, 'flake.lock'))).toBe(true);
      await project.git(['add', 'flake.lock']);
      await project.commit(CURRENT_TIME + 60, 'lock the baseline input', {});
      // Uncommitted work: a changed tracked module, a new untracked one.
      writeFileSync(path.join(project.dir, 'modules', 'A.mod'), 'module A, being edited\n');
      writeFileSync(path.join(project.dir, 'modules', 'F.mod'), 'module F, not added yet\n');
      const before = await project.snapshot();

      // The prebuild overrides the locked input with another revision: Nix would change the lock.
      const full = await flakeFullBuild(project, baseline);
      expect(full.run.built).toEqual([full.drvPath]);
      expect(nixMessages(full.run.stderr)).toMatch(/not writing modified lock file of flake/);
      expect(readManifest(full.out)).toMatchObject({ nix: nix.version, compiled: ['A', 'B', 'C'] });
      // The full build is the baseline's, not the dirty work tree's.
      expect(objectOf((await outputsOf(full.drvPath)).intermediates, 'A')).toContain('module A v1');

      expect(await project.snapshot()).toEqual(before);
      expect((await project.git(['status', '--porcelain'])).split('\n').map((line) => line.trim()).sort()).toEqual(['?? modules/F.mod', 'M modules/A.mod']);
    });

    it('a "nix build" full-build command without --override-input writes no flake.lock into the checkout either', async () => {
      const { project, baseline } = await twoCommitProject('flake-no-override');
      // A user's own flake whose input is not overridden by the command, and no lock file yet:
      // left to itself Nix writes flake.lock into the work tree (and `git add`s it).
      const flake = path.join(project.dir, 'flake.nix');
      writeFileSync(flake, readFileSync(flake, 'utf8').replace('git+file:///builder-bar-baseline-not-set--pass-override-input-baseline', `git+file://${project.dir}`));
      await project.commit(CURRENT_TIME + 60, 'the baseline input is the repository itself', {});
      const before = await project.snapshot();

      const head = await project.git(['rev-parse', 'HEAD']);
      expect(baseline).not.toBe(head);
      // The work tree's flake, and the flake at the revision (where Nix cannot write a lock file
      // and, told to, fails: "cannot write modified lock file").
      for (const installable of ['{repoUrl}#full', '{repoUrl}?rev={rev}#full']) {
        const full = await flakeFullBuild(project, head, ['nix', 'build', ...FLAKES, installable, '--no-link']);
        expect(readManifest(full.out)).toMatchObject({ nix: nix.version, compiled: ['A', 'B', 'C', 'D'] });
        expect(existsSync(path.join(project.dir, 'flake.lock'))).toBe(false);
        expect(await project.snapshot()).toEqual(before);
      }
    });

    it('a baseline reachable only from another branch than HEAD builds in both forms, the same derivation', async () => {
      const { project } = await twoCommitProject('flake-side-branch');
      await project.git(['checkout', '--quiet', '-b', 'feature']);
      const side = await project.commit(CURRENT_TIME + 60, 'on feature only', { S: 'module S v1' });
      await project.git(['checkout', '--quiet', 'main']);
      expect(await project.git(['branch', '--contains', side])).toBe('feature');

      const full = await flakeFullBuild(project, side);
      expect(readManifest(full.out)).toMatchObject({ nix: nix.version, compiled: ['A', 'B', 'C', 'D', 'S'] });
      const plain = await run(expandFullBuildCommand(DEFAULT_FULL_BUILD_COMMAND, { rev: side, repo: project.dir, branch: 'feature' }));
      expectSuccess(plain);
      expect(plain.built).toEqual([]);
      expect(plain.stdout.trim()).toBe(full.out);
    });

    it('a repository whose path has a space, # and ?: built where Nix decodes its URL, refused up front where it cannot', async () => {
      const { project, baseline } = await twoCommitProject('flake dir #2?x');
      const fullBuild = expandFullBuildCommand(FLAKE_FULL_BUILD_COMMAND, { rev: baseline, repo: project.dir, branch: 'main' });
      const atHand = { version: nix.version, binDir: nix.binDir };
      const full = await run([...fullBuild, '--json']);
      if (nixHas(nix.version, 'flake-url-percent-decoding')) {
        await expect(assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, project.dir, async () => atHand)).resolves.toBeUndefined();
        expectSuccess(full);
        const [fullResult] = JSON.parse(full.stdout) as Array<{ drvPath: string }>;
        // The same derivation as the nix-build form of this baseline: the override took the sha.
        expect(await instantiate(project, 'full', ['--argstr', 'baselineRev', baseline])).toBe(fullResult?.drvPath);
      } else {
        // This Nix (2.8 on Debian) misreads the percent-encoded path with a git error that names no
        // cause; Builder Bar says why before running it.
        expect(full.exitCode).not.toBe(0);
        await expect(assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, project.dir, async () => atHand)).rejects.toThrow(/Cannot prebuild the flake at .*flake dir #2\?x: .* needs Nix >= 2\.19; /);
      }
    });

    it('the flake form needs --extra-experimental-features on this Nix too (the queue passes it)', async () => {
      const { project, baseline } = await twoCommitProject('flake-experimental');
      const argv = expandFullBuildCommand(FLAKE_FULL_BUILD_COMMAND, { rev: baseline, repo: project.dir, branch: 'main' });
      const flagAt = argv.indexOf('--extra-experimental-features');
      const without = await run([...argv.slice(0, flagAt), ...argv.slice(flagAt + 2)]);
      expect(without.exitCode).not.toBe(0);
      // 2.8: "… is disabled; use '--extra-experimental-features nix-command' to override";
      // 2.34: "… is disabled; add '--extra-experimental-features nix-command' to enable it".
      expect(stripVTControlCharacters(nixMessages(without.stderr))).toMatch(/experimental Nix feature 'nix-command' is disabled/);
      expect(without.built).toEqual([]);
    });

    it('without the override the build fails on the unset baseline, and says so', async () => {
      const { project } = await twoCommitProject('flake-unset');
      const unset = await run(['nix', 'build', ...FLAKES, `${project.dir}#full`, '--no-link'], project.dir);
      expect(unset.exitCode).not.toBe(0);
      expect(nixMessages(unset.stderr)).toMatch(/builder-bar-baseline-not-set--pass-override-input-baseline/);
      expect(unset.built).toEqual([]);
    });
  });
});

/**
 * The Haskell variant of `resources/nix/incremental.nix` needs nixpkgs, which is not available
 * offline here. What can be checked without it is checked with real Nix: the file parses, and
 * evaluated against a stand-in for `pkgs.haskell.lib.compose.overrideCabal` that records what
 * it is given, the full build gets the baseline source with `doInstallIntermediates` and
 * `enableSeparateIntermediatesOutput`, and the incremental build gets the current source with
 * `previousIntermediates` = the full build's `intermediates` (nixpkgs PR 227985's names).
 * On every Nix the tests have (nixVersions(); the version is in each title).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nixVersions, type TestNix } from '../nix/testing/nixVersions.js';
import { generateProject } from './testing/generatedProject.js';
import { nixProgram, writeOfflineNixConf, type NixEnvironment } from './testing/offlineNix.js';

const resources = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'resources', 'nix');
const helper = path.join(resources, 'incremental.nix');

let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-incremental-haskell-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

// overrideCabal as nixpkgs shapes it (f: drv: drv'), recording the attributes it applied; the
// result's `intermediates` names the build it belongs to, as a separate output would.
const stubPkgs = `{
  haskell.lib.compose.overrideCabal = f: drv:
    let applied = drv // f drv;
    in applied // { intermediates = { intermediatesOf = applied.src; }; };
}`;

describe.each(nixVersions())('the Haskell variant, $label', (nix: TestNix) => {
  let env: NixEnvironment;

  beforeAll(async () => {
    env = await writeOfflineNixConf(path.join(root, nix.version));
  });

  async function evaluate(expression: string): Promise<unknown> {
    const { stdout } = await execa(nixProgram(nix, 'nix-instantiate'), ['--eval', '--strict', '--json', '--expr', expression], { env, stdin: 'ignore' });
    return JSON.parse(stdout) as unknown;
  }

  it.each(['incremental.nix', 'project-template/incremental.nix', 'flake-template/flake.nix'])('%s parses', async (file) => {
    const { exitCode } = await execa(nixProgram(nix, 'nix-instantiate'), ['--parse', path.join(resources, file)], { env, stdin: 'ignore' });
    expect(exitCode).toBe(0);
  });

  it('wires doInstallIntermediates into the full build and previousIntermediates into the incremental one', async () => {
    const result = await evaluate(`
      let
        builds = (import ${JSON.stringify(helper)}).haskellFromSources {
          pkgs = ${stubPkgs};
          package = { pname = "my-app"; src = "the package's own src"; };
          baselineSrc = "baseline-src";
          src = "current-src";
        };
        # The stand-in's intermediates are a set: compare what they belong to.
        inherit (builds) full incremental;
      in {
        full = builtins.removeAttrs full [ "intermediates" ];
        incremental = builtins.removeAttrs incremental [ "intermediates" ];
        previous = builds.previous;
      }`);
    expect(result).toEqual({
      full: { pname: 'my-app', src: 'baseline-src', doInstallIntermediates: true, enableSeparateIntermediatesOutput: true },
      incremental: { pname: 'my-app', src: 'current-src', previousIntermediates: { intermediatesOf: 'baseline-src' } },
      previous: { intermediatesOf: 'baseline-src' },
    });
  });

  it('fetches the baseline and the current revision from the repository by sha', async () => {
    const project = await generateProject(path.join(root, nix.version, 'haskell'));
    const baseline = await project.commit(1_700_000_000, 'baseline', { Main: 'module Main v1' });
    const current = await project.commit(1_700_100_000, 'current', { Main: 'module Main v2' });
    const result = (await evaluate(`
      let
        helper = import ${JSON.stringify(helper)};
        repo = ${JSON.stringify(project.dir)};
        builds = helper.haskell {
          pkgs = ${stubPkgs};
          package = { pname = "my-app"; };
          inherit repo;
          baselineRev = ${JSON.stringify(baseline)};
          rev = ${JSON.stringify(current)};
        };
        read = src: builtins.readFile (src + "/modules/Main.mod");
      in {
        fullSrc = read builds.full.src;
        incrementalSrc = read builds.incremental.src;
        previousIsFulls = builds.incremental.previousIntermediates == builds.full.intermediates;
        inherit (builds) baselineRev;
      }`)) as Record<string, unknown>;
    expect(result).toEqual({
      fullSrc: `module Main v1\nnonce ${project.nonce}\n`,
      incrementalSrc: `module Main v2\nnonce ${project.nonce}\n`,
      previousIsFulls: true,
      baselineRev: baseline,
    });
  });
});

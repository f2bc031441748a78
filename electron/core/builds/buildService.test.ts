/**
 * The build queue runs the Nix the core chose (the nixBinDir setting), by absolute path, for
 * both kinds of target; with no Nix it refuses the build up front, saying why, and queues
 * nothing. Nix here is a fake installation that records its argv (nixInstallation.ts's tests
 * cover how the directory is chosen).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { LogHub } from '../logs/logHub.js';
import { NixLocator } from '../nix/nixInstallation.js';
import { writeFakeNix, type FakeNix } from '../nix/testing/fakeNix.js';
import { BuildService } from './buildService.js';

let root: string;
let fake: FakeNix;
let emptyPath: string;
let appFile: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-buildservice-'));
  emptyPath = path.join(root, 'empty-path');
  await fs.mkdir(emptyPath);
  appFile = path.join(root, 'app', 'default.nix');
  await fs.mkdir(path.dirname(appFile));
  await fs.writeFile(appFile, '{ app = derivation { name = "app"; builder = "/bin/sh"; system = "x86_64-linux"; }; }\n');
  fake = await writeFakeNix(path.join(root, 'nix-2.34', 'bin'), {
    behaviour: { 'nix-build': 'echo /nix/store/00000000000000000000000000000000-fake', nix: 'echo /nix/store/11111111111111111111111111111111-fake' },
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function service(setting: string): Promise<BuildService> {
  const stateDir = path.join(root, `state-${Math.random().toString(36).slice(2)}`);
  await fs.mkdir(stateDir);
  return BuildService.open({
    stateDir,
    logs: new LogHub({ ringLines: 100, logDir: null }),
    buildEnvironment: async () => ({}),
    // PATH holds no Nix: whatever runs must come from the setting.
    nix: new NixLocator({ env: { PATH: emptyPath, HOME: root }, profileDirs: [], setting: () => setting }),
    builderReady: () => true,
    ensureBuilderReady: async () => undefined,
  });
}

async function finished(builds: BuildService, id: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (builds.list().find((view) => view.id === id)?.endedAt == null) {
    if (Date.now() > deadline) throw new Error(`build ${id} did not end`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('BuildService runs the chosen Nix', () => {
  it('nix-build for a file and nix for an installable, each by its absolute path in nixBinDir', async () => {
    const builds = await service(fake.binDir);
    const file = await builds.start({ kind: 'file', file: appFile, attr: 'app' });
    await finished(builds, file.id);
    const flake = await builds.start({ kind: 'installable', installable: '.#app' });
    await finished(builds, flake.id);
    const calls = await fake.calls();
    expect(calls.map((argv) => argv[0])).toEqual([path.join(fake.binDir, 'nix-build'), path.join(fake.binDir, 'nix')]);
    expect(calls[0]?.slice(1, 4)).toEqual([appFile, '-A', 'app']);
    expect(calls[1]).toContain('.#app');
    expect(builds.list().find((view) => view.id === file.id)).toMatchObject({ state: 'succeeded', outputPaths: ['/nix/store/00000000000000000000000000000000-fake'] });
    await builds.close();
  });

  it('with a nixBinDir that holds no Nix: refuses the build with the reason and queues nothing', async () => {
    const empty = path.join(root, 'not-nix');
    await fs.mkdir(empty);
    const builds = await service(empty);
    const error = await builds.start({ kind: 'file', file: appFile }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BuilderBarError);
    expect(error).toMatchObject({ code: 'nix-missing', message: `Cannot build: The nixBinDir setting names ${empty}, which holds no "nix" program.` });
    expect(builds.list()).toEqual([]);
    await builds.close();
  });

  it('refuses a file that is not there, or a directory without default.nix, before waiting for the builder', async () => {
    let waited = 0;
    const stateDir = path.join(root, `state-${Math.random().toString(36).slice(2)}`);
    await fs.mkdir(stateDir);
    const builds = await BuildService.open({
      stateDir,
      logs: new LogHub({ ringLines: 100, logDir: null }),
      buildEnvironment: async () => ({}),
      nix: new NixLocator({ env: { PATH: emptyPath, HOME: root }, profileDirs: [], setting: () => fake.binDir }),
      builderReady: () => false,
      ensureBuilderReady: async () => {
        waited += 1;
      },
    });
    const missing = path.join(root, 'app', 'defualt.nix');
    await expect(builds.start({ kind: 'file', file: missing })).rejects.toMatchObject({ code: 'invalid-request', message: `Cannot build ${missing}: there is no such file.` });
    await expect(builds.start({ kind: 'file', file: emptyPath })).rejects.toMatchObject({ code: 'invalid-request', message: `Cannot build ${emptyPath}: it is a directory without a default.nix.` });
    expect(waited).toBe(0);
    expect(builds.list()).toEqual([]);
    expect(await fake.calls()).not.toContainEqual(expect.arrayContaining([missing]));
    await builds.close();
  });
});

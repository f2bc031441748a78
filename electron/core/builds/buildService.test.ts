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

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-buildservice-'));
  emptyPath = path.join(root, 'empty-path');
  await fs.mkdir(emptyPath);
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
    const file = await builds.start({ kind: 'file', file: '/work/app/default.nix', attr: 'app' });
    await finished(builds, file.id);
    const flake = await builds.start({ kind: 'installable', installable: '.#app' });
    await finished(builds, flake.id);
    const calls = await fake.calls();
    expect(calls.map((argv) => argv[0])).toEqual([path.join(fake.binDir, 'nix-build'), path.join(fake.binDir, 'nix')]);
    expect(calls[0]?.slice(1, 4)).toEqual(['/work/app/default.nix', '-A', 'app']);
    expect(calls[1]).toContain('.#app');
    expect(builds.list().find((view) => view.id === file.id)).toMatchObject({ state: 'succeeded', outputPaths: ['/nix/store/00000000000000000000000000000000-fake'] });
    await builds.close();
  });

  it('with a nixBinDir that holds no Nix: refuses the build with the reason and queues nothing', async () => {
    const empty = path.join(root, 'not-nix');
    await fs.mkdir(empty);
    const builds = await service(empty);
    const error = await builds.start({ kind: 'file', file: '/work/app/default.nix' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BuilderBarError);
    expect(error).toMatchObject({ code: 'nix-missing', message: `Cannot build: The nixBinDir setting names ${empty}, which holds no "nix" program.` });
    expect(builds.list()).toEqual([]);
    await builds.close();
  });
});

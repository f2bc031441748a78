// "Make its own host key" against a real Nix and the stand-in nixpkgs: a Nix that has no machine
// for the image's Linux part (max-jobs 0, no builders: a Mac before the wiring is applied) says
// what to do; one that has builds the own-host-key image beside the stock one.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLocalNixConf, type NixEnvironment } from '../../builds/testing/nixTestConf.js';
import { hostPathOf, nixVersions } from '../../nix/testing/nixVersions.js';
import { buildOwnHostKeyImage, hasOwnHostKeyImage } from './hostKeyBootstrap.js';
import { makeFakeNixpkgs, type FakeNixpkgs } from './testing/fakeNixpkgs.js';

describe.each(nixVersions())('the builder\'s own host key image ($label)', (nix) => {
  let dir: string;
  let fake: FakeNixpkgs;
  let env: NixEnvironment;
  const view = (storePath: string) => hostPathOf(nix, storePath);

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'own-host-key-'));
    const runScript = path.join(dir, 'run-test-vm');
    await fs.writeFile(runScript, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    env = await writeLocalNixConf(path.join(dir, 'nix-conf'));
    // A revision of its own: nothing of it is in the store from other tests.
    fake = await makeFakeNixpkgs({ dir, nixBinDir: nix.binDir, runScript: `${runScript}-${path.basename(dir)}`, qemuBinDir: '/usr/bin' });
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('with no machine for Linux derivations, says to start the builder and apply the wiring, and roots nothing', async () => {
    const vmDir = await fs.mkdtemp(path.join(dir, 'vm-'));
    const error = await buildOwnHostKeyImage({
      vmDir, nixBuild: path.join(nix.binDir, 'nix-build'), report: () => undefined, archiveUrl: fake.archiveUrl, storeView: view,
      env: { ...env, NIX_CONFIG: 'max-jobs = 0\nbuilders =' },
    }, fake.pin).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'vm-failed', message: expect.stringContaining('Nix found no Linux machine to build the builder\'s own host key image on') });
    expect((error as { hint: string }).hint).toMatch(/apply the Nix wiring/);
    expect(await hasOwnHostKeyImage(vmDir, fake.pin, view)).toBe(false);
    expect(await fs.readdir(vmDir)).toEqual([]);
  });

  it('with a machine, builds it and the next start finds it without Nix', async () => {
    const vmDir = await fs.mkdtemp(path.join(dir, 'vm-'));
    const reports: string[] = [];
    const image = await buildOwnHostKeyImage({
      vmDir, nixBuild: path.join(nix.binDir, 'nix-build'), report: (line) => reports.push(line), archiveUrl: fake.archiveUrl, storeView: view, env,
    }, fake.pin);
    expect(image.realised).toBe(true);
    expect(reports.at(-1)).toMatch(/with this install's own host key is ready/);
    expect(await hasOwnHostKeyImage(vmDir, fake.pin, view)).toBe(true);
    expect(await hasOwnHostKeyImage(vmDir, { ...fake.pin, rev: '0'.repeat(40) }, view)).toBe(false);
  });
});

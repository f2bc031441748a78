import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NixpkgsPin } from '../../../ipc/contract.js';
import { writeLocalNixConf, type NixEnvironment } from '../../builds/testing/nixTestConf.js';
import { hostPathOf, nixVersions } from '../../nix/testing/nixVersions.js';
import { DEFAULT_NIXPKGS_PIN } from '../../settings/defaults.js';
import { existingBuilderImage } from './builderImage.js';
import { applyImageUpdate, planImageUpdate, type ImageUpdateDeps } from './builderImageUpdate.js';
import { makeFakeNixpkgs, type FakeNixpkgs } from './testing/fakeNixpkgs.js';

describe.each(nixVersions())('"Update builder image" ($label)', (nix) => {
  let dir: string;
  let fake: FakeNixpkgs;
  let env: NixEnvironment;
  let saved: NixpkgsPin = DEFAULT_NIXPKGS_PIN;
  let deps: ImageUpdateDeps;
  const view = (storePath: string) => hostPathOf(nix, storePath);

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'image-update-'));
    const runScript = path.join(dir, 'run-test-vm');
    await fs.writeFile(runScript, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    env = await writeLocalNixConf(path.join(dir, 'nix-conf'));
    fake = await makeFakeNixpkgs({ dir, nixBinDir: nix.binDir, runScript, qemuBinDir: '/usr/bin' });
    await fs.mkdir(path.join(dir, 'vm'));
    deps = {
      vmDir: path.join(dir, 'vm'),
      nix: path.join(nix.binDir, 'nix'),
      nixBuild: path.join(nix.binDir, 'nix-build'),
      current: () => saved,
      savePin: async (pin) => { saved = pin; },
      branchRef: fake.branchRef,
      archiveUrl: fake.archiveUrl,
      storeView: view,
      env,
      report: () => undefined,
    };
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('plans: the branch\'s locked revision and narHash, and what realising it costs, fetching nothing of the builder', async () => {
    const plan = await planImageUpdate(deps);
    expect(plan.branch).toBe('nixpkgs-unstable');
    expect(plan.current).toEqual(DEFAULT_NIXPKGS_PIN);
    expect(plan.next).toEqual({ rev: fake.gitRev, narHash: fake.pin.narHash });
    expect(plan.upToDate).toBe(false);
    expect(plan.cost).toMatch(/will be built/);
    expect(await existingBuilderImage(deps.vmDir, plan.next, view)).toBeNull();
    expect(saved).toEqual(DEFAULT_NIXPKGS_PIN);
  });

  it('applies: realises the planned pin, then saves it; planning again says it is up to date', async () => {
    const plan = await planImageUpdate(deps);
    const image = await applyImageUpdate(deps, plan.next);
    expect(image.realised).toBe(true);
    expect(saved).toEqual(plan.next);
    expect(await existingBuilderImage(deps.vmDir, plan.next, view)).not.toBeNull();
    const again = await planImageUpdate(deps);
    expect(again.upToDate).toBe(true);
    expect(again.cost).toMatch(/already runs this revision/);
  });

  it('a branch that does not exist fails saying what the look-up needs; the pin stays', async () => {
    const before = saved;
    await expect(planImageUpdate(deps, 'no-such-branch')).rejects.toThrow(/could not look up nixpkgs' no-such-branch/);
    expect(saved).toEqual(before);
  });

  it('refuses a branch that reads as an option before anything runs', async () => {
    await expect(planImageUpdate(deps, '--impure')).rejects.toThrow(/nixpkgs branch/);
  });
});

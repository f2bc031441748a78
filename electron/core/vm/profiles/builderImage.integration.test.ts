import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLocalNixConf, type NixEnvironment } from '../../builds/testing/nixTestConf.js';
import { hostPathOf, nixVersions } from '../../nix/testing/nixVersions.js';
import { ensureBuilderImage, existingBuilderImage } from './builderImage.js';
import { makeFakeNixpkgs, type FakeNixpkgs } from './testing/fakeNixpkgs.js';

describe.each(nixVersions())('the Mac builder image, realised once per pin ($label)', (nix) => {
  let dir: string;
  let vmDir: string;
  let fake: FakeNixpkgs;
  const view = (storePath: string) => hostPathOf(nix, storePath);
  const reports: string[] = [];
  let env: NixEnvironment;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'builder-image-'));
    vmDir = path.join(dir, 'state dir, with spaces', 'vm');
    await fs.mkdir(vmDir, { recursive: true });
    const runScript = path.join(dir, 'run-test-vm');
    await fs.writeFile(runScript, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    env = await writeLocalNixConf(path.join(dir, 'nix-conf'));
    fake = await makeFakeNixpkgs({ dir, nixBinDir: nix.binDir, runScript, qemuBinDir: '/usr/bin' });
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('realises the pin into a GC root, with the run script, QEMU and mkfs.ext4, after saying what it fetches', async () => {
    const image = await ensureBuilderImage({
      vmDir, pin: fake.pin, nixBuild: path.join(nix.binDir, 'nix-build'), archiveUrl: fake.archiveUrl,
      report: (message) => reports.push(message), storeView: view, env,
    });
    expect(image.realised).toBe(true);
    expect(image.storePath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-builder-bar-linux-builder$/);
    expect(await fs.readlink(path.join(vmDir, 'builder-image'))).toBe(image.storePath);
    expect(await fs.readlink(view(path.join(image.storePath, 'qemu-bin')))).toMatch(/-qemu\/bin$/);
    expect(reports.some((line) => /^Realising the builder image of nixpkgs f{12}: /.test(line))).toBe(true);
    // The module Builder Bar appends forces upstream's every-interface forward away.
    const vm = await fs.readlink(view(path.join(image.storePath, 'run-vm')));
    const forwards = JSON.parse(await fs.readFile(view(path.join(path.dirname(path.dirname(vm)), 'forward-ports.json')), 'utf8')) as unknown;
    expect(forwards).toEqual([{ _type: 'override', priority: 50, content: [] }]);
  });

  it('realises the own-host-key variant beside the stock one, with its own GC root, the module appended', async () => {
    const stock = await existingBuilderImage(vmDir, fake.pin, view);
    expect(await existingBuilderImage(vmDir, fake.pin, view, 'own-host-key')).toBeNull();
    const own = await ensureBuilderImage({
      vmDir, pin: fake.pin, nixBuild: path.join(nix.binDir, 'nix-build'), archiveUrl: fake.archiveUrl,
      report: (message) => reports.push(message), storeView: view, env, variant: 'own-host-key',
    });
    expect(own.realised).toBe(true);
    expect(own.storePath).not.toBe(stock?.storePath);
    expect(await fs.readlink(path.join(vmDir, 'builder-image-own'))).toBe(own.storePath);
    expect(await fs.readlink(path.join(vmDir, 'builder-image'))).toBe(stock?.storePath);
    const ownHostKeyOf = async (storePath: string) => {
      const vm = await fs.readlink(view(path.join(storePath, 'run-vm')));
      return JSON.parse(await fs.readFile(view(path.join(path.dirname(path.dirname(vm)), 'own-host-key.json')), 'utf8')) as unknown;
    };
    expect(await ownHostKeyOf(own.storePath)).toBe(true);
    expect(await ownHostKeyOf(stock?.storePath ?? '')).toBe(false);
    expect(reports.some((line) => line.startsWith('Realising the builder image with its own host key of nixpkgs'))).toBe(true);
    expect((await existingBuilderImage(vmDir, fake.pin, view, 'own-host-key'))?.storePath).toBe(own.storePath);
  });

  it('uses the realised image at the next start without running Nix at all', async () => {
    const noNix = path.join(dir, 'nix-build-must-not-run');
    await fs.writeFile(noNix, '#!/bin/sh\necho "nix-build was run" >&2\nexit 99\n', { mode: 0o755 });
    const image = await ensureBuilderImage({ vmDir, pin: fake.pin, nixBuild: noNix, archiveUrl: fake.archiveUrl, report: () => undefined, storeView: view, env });
    expect(image.realised).toBe(false);
  });

  it('a different pin is not the realised image; one whose narHash is wrong fails saying so, and the old image stays', async () => {
    const wrong = { ...fake.pin, narHash: `sha256-${Buffer.alloc(32, 7).toString('base64')}` };
    expect(await existingBuilderImage(vmDir, wrong, view)).toBeNull();
    await expect(ensureBuilderImage({
      vmDir, pin: wrong, nixBuild: path.join(nix.binDir, 'nix-build'), archiveUrl: fake.archiveUrl, report: () => undefined, storeView: view, env,
    })).rejects.toThrow(/does not have the narHash in settings/);
    expect(await existingBuilderImage(vmDir, fake.pin, view)).not.toBeNull();
  });

  it('an unreachable nixpkgs says that the first start of a pin needs the internet', async () => {
    // Another hash too: Nix skips a download whose result it already has.
    const offline = { rev: 'e'.repeat(40), narHash: `sha256-${Buffer.alloc(32, 9).toString('base64')}` };
    const error = await ensureBuilderImage({
      vmDir: await fs.mkdtemp(path.join(dir, 'offline-')), pin: offline, nixBuild: path.join(nix.binDir, 'nix-build'),
      archiveUrl: () => 'http://127.0.0.1:9/nixpkgs.tar.gz', report: () => undefined, storeView: view,
      env: { ...env, NIX_CONFIG: 'download-attempts = 1\nconnect-timeout = 2' },
    }).catch((caught: unknown) => caught);
    expect(String(error)).toMatch(/could not download/);
    expect((error as { hint?: string }).hint).toMatch(/needs the internet/);
  });
});

/** `builder-bar image update` over the real CLI socket, against a transport core. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_NIXPKGS_PIN } from '../../core/settings/defaults.js';
import { cliRecorder as recorder, serveTransportCore, type ServedTransportCore } from '../testing/servedTransportCore.js';

const next = { rev: 'b'.repeat(40), narHash: `sha256-${'B'.repeat(43)}=` };

describe('builder-bar image update', () => {
  let served: ServedTransportCore;

  beforeAll(async () => {
    served = await serveTransportCore('bb-cli-image-', () => ({
      'builderImage.plan': (input) => ({
        branch: input.branch ?? 'nixpkgs-unstable', current: DEFAULT_NIXPKGS_PIN, next, upToDate: input.branch === 'nixos-25.05', cost: 'these 212 paths will be fetched (402.51 MiB download, 1816.77 MiB unpacked)',
      }),
      'builderImage.update': (input) => ({ pin: input.pin, storePath: '/nix/store/x-builder-bar-linux-builder', realised: true }),
      'builderImage.upstreamDisks': () => ({ disks: [], ownDisk: '/state/vm/disk.qcow2', ownDiskExists: false }),
    }));
  });

  afterAll(() => served.stop());

  it('without --yes says where the branch is and what it would fetch, and fetches nothing', async () => {
    const run = recorder();
    expect(await served.run(['image', 'update'], run)).toBe(0);
    expect(run.out.join('\n')).toMatch(/nixpkgs-unstable is at: nixpkgs b{40}/);
    expect(run.out.join('\n')).toMatch(/402\.51 MiB download/);
    expect(run.out.at(-1)).toMatch(/--yes/);
    expect(served.core.received.map((r) => r.name)).not.toContain('builderImage.update');
  });

  it('with --yes updates to exactly the planned pin', async () => {
    const run = recorder();
    expect(await served.run(['image', 'update', '--branch', 'nixpkgs-25.05-darwin', '--yes'], run)).toBe(0);
    expect(served.core.received.at(-2)).toMatchObject({ name: 'builderImage.plan', input: { branch: 'nixpkgs-25.05-darwin' } });
    expect(served.core.received.at(-1)).toMatchObject({ name: 'builderImage.update', input: { pin: next } });
    expect(run.out.at(-1)).toMatch(/next start/);
  });

  it('an up-to-date image is left alone even with --yes', async () => {
    const run = recorder();
    expect(await served.run(['image', 'update', '--branch', 'nixos-25.05', '--yes'], run)).toBe(0);
    expect(run.out.at(-1)).toBe('Up to date: nothing to fetch.');
    expect(served.core.received.at(-1)?.name).toBe('builderImage.plan');
  });

  it('refuses a branch that reads as an option (usage error, nothing sent)', async () => {
    const run = recorder();
    const before = served.core.received.length;
    expect(await served.run(['image', 'update', '--branch=--impure'], run)).toBe(2);
    expect(served.core.received.length).toBe(before);
  });

  it('image disks with none found names every place it looked, nix-darwin 25.05\'s included', async () => {
    const run = recorder();
    expect(await served.run(['image', 'disks'], run)).toBe(0);
    expect(run.out).toEqual(["No disk of nixpkgs' builder found (looked at ~/nixos.qcow2, /var/lib/linux-builder/nixos.qcow2, /var/lib/darwin-builder/nixos.qcow2)."]);
  });
});

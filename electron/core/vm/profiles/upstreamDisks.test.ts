// Where upstream's builders leave their disk, checked against nix-darwin's module
// (modules/nix/linux-builder.nix): its working directory moved from /var/lib/darwin-builder to
// /var/lib/linux-builder in nix-darwin 25.05 (commit a175c68f), and activation moves an old one there.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importUpstreamDisk, upstreamDiskCandidates } from './upstreamDisks.js';

describe('upstream disk candidates', () => {
  it('looks where nix-darwin 25.05 and later keep the builder\'s disk, /var/lib/linux-builder, and where older nix-darwin did', () => {
    const paths = upstreamDiskCandidates('/Users/jane').map((candidate) => candidate.path);
    expect(paths).toEqual([
      '/Users/jane/nixos.qcow2',
      '/var/lib/linux-builder/nixos.qcow2',
      '/var/lib/darwin-builder/nixos.qcow2',
    ]);
  });

  it('says that nix-darwin deletes its working directory when its builder is turned off', () => {
    const current = upstreamDiskCandidates('/Users/jane').find((candidate) => candidate.path.startsWith('/var/lib/linux-builder/'));
    expect(current?.origin).toMatch(/deletes it when nix\.linux-builder is turned off/);
  });

  it('takes the disk of a current nix-darwin as an import source (refused only because this test has none)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bb-upstream-candidates-'));
    try {
      const attempt = importUpstreamDisk({
        source: '/var/lib/linux-builder/nixos.qcow2',
        candidates: upstreamDiskCandidates(path.join(dir, 'home')),
        target: path.join(dir, 'disk.qcow2'),
        qemuImg: '/nonexistent/qemu-img',
      });
      const error = await attempt.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).not.toMatch(/is not a disk nixpkgs' builder leaves/);
      expect((error as Error).message).toMatch(/is not there/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

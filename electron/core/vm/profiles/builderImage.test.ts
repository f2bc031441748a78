import { describe, expect, it } from 'vitest';
import { DEFAULT_NIXPKGS_PIN } from '../../settings/defaults.js';
import { builderImageArgs, describeDryRun, githubArchiveUrl, imageRootName, realiseFailure } from './builderImage.js';

describe('builderImageArgs', () => {
  it('hands the pin to the expression as --argstr values and roots the result where asked', () => {
    expect(builderImageArgs({ expressionFile: '/app/resources/nix/linux-builder.nix', pin: DEFAULT_NIXPKGS_PIN, archiveUrl: githubArchiveUrl, outLink: '/state dir/vm/builder-image' })).toEqual([
      '/app/resources/nix/linux-builder.nix',
      '--argstr', 'url', `https://github.com/NixOS/nixpkgs/archive/${DEFAULT_NIXPKGS_PIN.rev}.tar.gz`,
      '--argstr', 'narHash', DEFAULT_NIXPKGS_PIN.narHash,
      '--out-link', '/state dir/vm/builder-image',
    ]);
  });

  it('asks for the own-host-key variant with --arg ownHostKey true, and only for it', () => {
    const own = builderImageArgs({ expressionFile: '/x.nix', pin: DEFAULT_NIXPKGS_PIN, archiveUrl: githubArchiveUrl, outLink: '/vm/builder-image-own', variant: 'own-host-key' });
    expect(own.join(' ')).toContain('--arg ownHostKey true');
    expect(builderImageArgs({ expressionFile: '/x.nix', pin: DEFAULT_NIXPKGS_PIN, archiveUrl: githubArchiveUrl, outLink: null, variant: 'stock' })).not.toContain('ownHostKey');
    expect(imageRootName('stock')).toBe('builder-image');
    expect(imageRootName('own-host-key')).toBe('builder-image-own');
  });

  it('a dry run roots nothing', () => {
    const args = builderImageArgs({ expressionFile: '/x.nix', pin: DEFAULT_NIXPKGS_PIN, archiveUrl: githubArchiveUrl, outLink: null, dryRun: true });
    expect(args.slice(-2)).toEqual(['--no-out-link', '--dry-run']);
  });

  it('refuses a pin that is not a full revision and an SRI hash (nothing reaches Nix)', () => {
    expect(() => builderImageArgs({ expressionFile: '/x.nix', pin: { rev: 'main', narHash: DEFAULT_NIXPKGS_PIN.narHash }, archiveUrl: githubArchiveUrl, outLink: null })).toThrow(/40 lower-case hex/);
    expect(() => builderImageArgs({ expressionFile: '/x.nix', pin: { rev: DEFAULT_NIXPKGS_PIN.rev, narHash: '--option' }, archiveUrl: githubArchiveUrl, outLink: null })).toThrow(/SRI hash/);
  });
});

describe('describeDryRun', () => {
  it('keeps what Nix says it will fetch and build', () => {
    const stderr = [
      'these 3 derivations will be built:',
      '  /nix/store/aaa-builder-bar-linux-builder.drv',
      'these 212 paths will be fetched (402.51 MiB download, 1816.77 MiB unpacked):',
      '  /nix/store/bbb-linux-6.12',
    ].join('\n');
    expect(describeDryRun(stderr)).toBe('these 3 derivations will be built; these 212 paths will be fetched (402.51 MiB download, 1816.77 MiB unpacked)');
    expect(describeDryRun('')).toBe('nothing to fetch or build');
  });
});

describe('realiseFailure', () => {
  it('tells a wrong narHash, no network and anything else apart, each with what to do', () => {
    expect(realiseFailure(DEFAULT_NIXPKGS_PIN, "error: hash mismatch in file downloaded from 'https://github.com/…':\n  specified: sha256:0\n  got: sha256:1").hint).toMatch(/Correct the builder's nixpkgs pin/);
    expect(realiseFailure(DEFAULT_NIXPKGS_PIN, "error: unable to download 'https://github.com/…': Could not resolve host: github.com (6)").hint).toMatch(/needs the internet/);
    const other = realiseFailure(DEFAULT_NIXPKGS_PIN, "error: attribute 'linux-builder' missing\n\n       at «string»:1:1:\n            1| x");
    expect(other.message).toMatch(/attribute 'linux-builder' missing$/);
  });

  it('quotes the failing dependency\'s reason rather than "1 dependency failed" (Nix 2.3x)', () => {
    const stderr = [
      "error: Cannot build '/nix/store/aaa-nixos-vm.drv'.",
      '       Reason: required system or feature not available',
      '       Required system: \'aarch64-linux\' with features {}',
      "error: Cannot build '/nix/store/bbb-builder-bar-linux-builder.drv'.",
      '       Reason: 1 dependency failed.',
    ].join('\n');
    expect(realiseFailure(DEFAULT_NIXPKGS_PIN, stderr).message).toMatch(/nixos-vm\.drv'\. Reason: required system or feature not available$/);
  });
});


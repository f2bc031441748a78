import { describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { FLAKE_FULL_BUILD_COMMAND, DEFAULT_FULL_BUILD_COMMAND } from './defaultFullBuild.js';
import { assertRepoUrlReadable, repoUrlNeedsDecoding } from './flakeUrlSupport.js';

describe('flake URL support for odd repository paths', () => {
  it('knows which paths need decoding', () => {
    expect(repoUrlNeedsDecoding('/srv/app-2/src_x.y')).toBe(false);
    expect(repoUrlNeedsDecoding('/Users/me/My Projects/app')).toBe(true);
    expect(repoUrlNeedsDecoding('/srv/a#b')).toBe(true);
    expect(repoUrlNeedsDecoding('/srv/a?b')).toBe(true);
  });

  const nix = (version: string | null) => async () => (version === null ? null : { version, binDir: '/opt/nix/bin' });

  it('refuses the flake command for a path Nix 2.8 cannot read, naming the feature, the version it needs and the Nix in use', async () => {
    const attempt = assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, '/Users/me/My Projects/app', nix('2.8.0'));
    await expect(attempt).rejects.toBeInstanceOf(BuilderBarError);
    await expect(attempt).rejects.toMatchObject({ code: 'nix-too-old' });
    await expect(attempt).rejects.toThrow(/Cannot prebuild the flake at \/Users\/me\/My Projects\/app/);
    await expect(attempt).rejects.toThrow(/needs Nix >= 2\.19; \/opt\/nix\/bin has Nix 2\.8\.0\./);
  });

  it('refuses it for Nix 2.18 too: only 2.19 reads percent-encoded flake URLs (rl-2.19)', async () => {
    await expect(assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, '/srv/a b', nix('2.18.1'))).rejects.toThrow(/has Nix 2\.18\.1/);
  });

  it('lets everything else through, asking for the Nix only when it matters', async () => {
    await expect(assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, '/Users/me/My Projects/app', nix('2.34.8'))).resolves.toBeUndefined();
    await expect(assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, '/Users/me/My Projects/app', nix(null))).resolves.toBeUndefined();
    const notAsked = async (): Promise<null> => {
      throw new Error('Nix was asked for');
    };
    await expect(assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, '/srv/app', notAsked)).resolves.toBeUndefined();
    await expect(assertRepoUrlReadable(DEFAULT_FULL_BUILD_COMMAND, '/Users/me/My Projects/app', notAsked)).resolves.toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { FLAKE_FULL_BUILD_COMMAND, DEFAULT_FULL_BUILD_COMMAND } from './defaultFullBuild.js';
import { assertRepoUrlReadable, nixVersionAtLeast, repoUrlNeedsDecoding } from './flakeUrlSupport.js';

describe('flake URL support for odd repository paths', () => {
  it('knows which paths need decoding', () => {
    expect(repoUrlNeedsDecoding('/srv/app-2/src_x.y')).toBe(false);
    expect(repoUrlNeedsDecoding('/Users/me/My Projects/app')).toBe(true);
    expect(repoUrlNeedsDecoding('/srv/a#b')).toBe(true);
    expect(repoUrlNeedsDecoding('/srv/a?b')).toBe(true);
  });

  it('compares Nix versions by their numbers', () => {
    expect(nixVersionAtLeast('2.8.0', [2, 10])).toBe(false);
    expect(nixVersionAtLeast('2.9.2', [2, 10])).toBe(false);
    expect(nixVersionAtLeast('2.10.0', [2, 10])).toBe(true);
    expect(nixVersionAtLeast('2.18.1', [2, 10])).toBe(true);
    expect(nixVersionAtLeast('2.29.0pre20250101_abc', [2, 10])).toBe(true);
    expect(nixVersionAtLeast('3.0', [2, 10])).toBe(true);
  });

  const version = (value: string | null) => async () => value;

  it('refuses the flake command for a path Nix 2.8 cannot read, saying what to do', async () => {
    const attempt = assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, '/Users/me/My Projects/app', version('2.8.0'));
    await expect(attempt).rejects.toBeInstanceOf(BuilderBarError);
    await expect(attempt).rejects.toThrow(/Nix 2\.8\.0 cannot read a flake at \/Users\/me\/My Projects\/app/);
  });

  it('lets everything else through, asking Nix for its version only when it matters', async () => {
    await expect(assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, '/Users/me/My Projects/app', version('2.18.1'))).resolves.toBeUndefined();
    await expect(assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, '/Users/me/My Projects/app', version(null))).resolves.toBeUndefined();
    const notAsked = async (): Promise<string> => {
      throw new Error('Nix was asked for its version');
    };
    await expect(assertRepoUrlReadable(FLAKE_FULL_BUILD_COMMAND, '/srv/app', notAsked)).resolves.toBeUndefined();
    await expect(assertRepoUrlReadable(DEFAULT_FULL_BUILD_COMMAND, '/Users/me/My Projects/app', notAsked)).resolves.toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_FULL_BUILD_COMMAND, FLAKE_FULL_BUILD_COMMAND } from './defaultFullBuild.js';
import { assertFullBuildRunnable } from './fullBuildNixSupport.js';

const nix = (version: string | null) => async () => (version === null ? null : { version, binDir: '/opt/nix/bin' });

describe('what a full-build command needs of the Nix in use', () => {
  it('lets a "nix build" command run on Nix 2.8 too (the queue reads its outputs from --json, which 2.8 has)', async () => {
    await expect(assertFullBuildRunnable(FLAKE_FULL_BUILD_COMMAND, '/srv/app', nix('2.8.0'))).resolves.toBeUndefined();
    await expect(assertFullBuildRunnable(DEFAULT_FULL_BUILD_COMMAND, '/srv/app', nix('2.8.0'))).resolves.toBeUndefined();
  });

  it('refuses a percent-encoded repository path on a Nix older than 2.19', async () => {
    await expect(assertFullBuildRunnable(FLAKE_FULL_BUILD_COMMAND, '/srv/a b', nix('2.18.1'))).rejects.toThrow(/needs Nix >= 2\.19; \/opt\/nix\/bin has Nix 2\.18\.1/);
  });

  it('lets the rest through, and asks for the Nix once at most, only when it matters', async () => {
    await expect(assertFullBuildRunnable(FLAKE_FULL_BUILD_COMMAND, '/srv/a b', nix('2.34.8'))).resolves.toBeUndefined();
    await expect(assertFullBuildRunnable(FLAKE_FULL_BUILD_COMMAND, '/srv/a b', nix(null))).resolves.toBeUndefined();
    let asked = 0;
    const counted = async () => {
      asked += 1;
      return { version: '2.34.8', binDir: '/opt/nix/bin' };
    };
    await assertFullBuildRunnable(FLAKE_FULL_BUILD_COMMAND, '/srv/a b', counted);
    expect(asked).toBe(1);
    const notAsked = async (): Promise<null> => {
      throw new Error('Nix was asked for');
    };
    await expect(assertFullBuildRunnable(DEFAULT_FULL_BUILD_COMMAND, '/srv/a b', notAsked)).resolves.toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { DEFAULT_FULL_BUILD_COMMAND, FLAKE_FULL_BUILD_COMMAND } from './defaultFullBuild.js';
import { assertFullBuildRunnable, nixCanRunFullBuild } from './fullBuildNixSupport.js';

const nix = (version: string | null) => async () => (version === null ? null : { version, binDir: '/opt/nix/bin' });

describe('what a full-build command needs of the Nix in use', () => {
  it('a "nix build" command needs Nix >= 2.9 (the queue asks it for --print-out-paths); nix-build runs on any', () => {
    expect(nixCanRunFullBuild('2.8.0', FLAKE_FULL_BUILD_COMMAND)).toBe(false);
    expect(nixCanRunFullBuild('2.9.0', FLAKE_FULL_BUILD_COMMAND)).toBe(true);
    expect(nixCanRunFullBuild('2.34.8', FLAKE_FULL_BUILD_COMMAND)).toBe(true);
    expect(nixCanRunFullBuild('2.8.0', DEFAULT_FULL_BUILD_COMMAND)).toBe(true);
  });

  it('refuses the flake command on Nix 2.8 before queueing, naming what it needs and pointing at the nix-build command', async () => {
    const attempt = assertFullBuildRunnable(FLAKE_FULL_BUILD_COMMAND, '/srv/app', nix('2.8.0'));
    await expect(attempt).rejects.toBeInstanceOf(BuilderBarError);
    await expect(attempt).rejects.toMatchObject({ code: 'nix-too-old', hint: expect.stringMatching(/default nix-build full-build command/) });
    await expect(attempt).rejects.toThrow(/Cannot prebuild \/srv\/app with a "nix build" full-build command: .*--print-out-paths.* needs Nix >= 2\.9; \/opt\/nix\/bin has Nix 2\.8\.0\./);
  });

  it('still refuses a percent-encoded repository path on a Nix between 2.9 and 2.19', async () => {
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

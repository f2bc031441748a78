/**
 * Nix's profile directories under a broken launch environment: a relative HOME or
 * XDG_STATE_HOME (a launchd plist with `HOME=x`, `env XDG_STATE_HOME=state`) must still give
 * the account's own profile, not a directory relative to the working directory (which the
 * search path drops, so a Nix installed only in ~/.nix-profile would not be found at all).
 */
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nixProfileDirs } from './toolSearchPath.js';

describe("Nix's profile directories", () => {
  it("use the account's home when HOME is relative", () => {
    const home = os.userInfo().homedir;
    expect(nixProfileDirs({ HOME: 'not/absolute', USER: 'me' }).slice(0, 2)).toEqual([
      path.join(home, '.nix-profile', 'bin'),
      path.join(home, '.local', 'state', 'nix', 'profile', 'bin'),
    ]);
  });

  it('ignore a relative XDG_STATE_HOME, as the XDG spec says to', () => {
    expect(nixProfileDirs({ HOME: '/Users/me', USER: 'me', XDG_STATE_HOME: 'state' })[1]).toBe('/Users/me/.local/state/nix/profile/bin');
    expect(nixProfileDirs({ HOME: '/Users/me', USER: 'me', XDG_STATE_HOME: '/xdg/state' })[1]).toBe('/xdg/state/nix/profile/bin');
  });
});

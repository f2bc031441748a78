import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStateDir } from '../paths.js';
import { homeDirectory } from './homeDirectory.js';

describe('homeDirectory', () => {
  it('is $HOME when that is absolute', () => {
    expect(homeDirectory('/Users/ada', () => '/elsewhere')).toBe('/Users/ada');
  });

  it('is the user database\'s home when $HOME is relative, never a path under the working directory', () => {
    expect(homeDirectory('relative', () => '/Users/ada')).toBe('/Users/ada');
    expect(homeDirectory('relative', () => {
      throw new Error('no passwd entry');
    })).toBe(path.resolve('relative'));
  });

  it('keeps the state dir absolute under a relative HOME (os.homedir() returns it as it is)', () => {
    const saved = process.env.HOME;
    process.env.HOME = 'relative-home';
    try {
      expect(os.homedir()).toBe('relative-home');
      const { stateDir } = resolveStateDir({ env: {}, platform: 'darwin' });
      expect(path.isAbsolute(stateDir)).toBe(true);
      expect(stateDir).toBe(path.join(os.userInfo().homedir, 'Library', 'Application Support', 'Builder Bar'));
    } finally {
      process.env.HOME = saved;
    }
  });
});

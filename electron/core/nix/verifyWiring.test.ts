import { describe, expect, it } from 'vitest';
import { verifyDerivation } from './verifyWiring.js';

describe('verifyDerivation', () => {
  it('is a derivation for the builder\'s system, named with the nonce, using only sh builtins', () => {
    const text = verifyDerivation('x86_64-linux', 'abc123');
    expect(text).toContain('name = "builder-bar-verify-abc123";');
    expect(text).toContain('system = "x86_64-linux";');
    expect(text).toContain('builder = "/bin/sh";');
    // `$` is escaped for Nix so `${...}` can never be read as an interpolation.
    expect(text).toContain('read v < /proc/version; read h < /proc/sys/kernel/hostname; echo \\"\\$v\\" > \\$out');
  });
  it('refuses a system or nonce that could escape the Nix string', () => {
    expect(() => verifyDerivation('x86_64-linux"; x = "', 'a')).toThrow('Not a Nix system type');
    expect(() => verifyDerivation('x86_64-linux', 'A B')).toThrow('nonce');
  });
});

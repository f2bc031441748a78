import { utils } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateEd25519KeyPair, isWellFormedPair } from './ed25519KeyPair.js';

describe('generateEd25519KeyPair', () => {
  it('hands out pairs that ssh2 reads back, draw after draw (ssh2 alone gets about 1 in 256 wrong)', () => {
    for (let i = 0; i < 1500; i += 1) {
      const pair = generateEd25519KeyPair('test');
      expect(utils.parseKey(pair.public)).not.toBeInstanceOf(Error);
      expect(utils.parseKey(pair.private)).not.toBeInstanceOf(Error);
    }
  });

  it('draws again after a malformed pair, and keeps the comment', () => {
    const good = utils.generateKeyPairSync('ed25519', { comment: 'me' });
    const malformed = { private: good.private.replace(/[A-Za-z0-9+/]{20}/, 'A'.repeat(20)), public: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH6jYgkClbA4rdzI3MPn8wjzpB81WO3HC3sM82yCS4k8= me' };
    const draws = [malformed, good];
    let calls = 0;
    const pair = generateEd25519KeyPair('me', () => draws[calls++]!);
    expect(calls).toBe(2);
    expect(pair).toBe(good);
    expect(pair.public).toMatch(/ me$/);
  });

  it('gives up with a clear error when every draw is malformed', () => {
    const bad = { private: 'not a key', public: 'ssh-ed25519 AAAA' };
    expect(() => generateEd25519KeyPair(undefined, () => bad)).toThrow(/well-formed ed25519 key pair/);
  });
});

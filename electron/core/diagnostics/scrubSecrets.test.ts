import { describe, expect, it } from 'vitest';
import { redactSettings } from './redactSettings.js';
import { scrubSecrets } from './scrubSecrets.js';

const BEGIN = ['-----BEGIN RSA', 'PRIVATE KEY-----'].join(' ');
const END = ['-----END RSA', 'PRIVATE KEY-----'].join(' ');

describe('scrubSecrets', () => {
  it('drops every line of a key block, keeps the lines around it and removes token values', () => {
    const input = ['before', `x ${BEGIN}`, 'MIIEpAIBAAKCAQEA', `x ${END}`, 'after http://127.0.0.1:1/#token=abc123&x=1', 'token=zzz'].join('\n');
    const result = scrubSecrets(input);
    expect(result.text).toBe(['before', 'after http://127.0.0.1:1/#token=<removed>&x=1', 'token=<removed>'].join('\n'));
    expect(result).toMatchObject({ keyLinesRemoved: 3, tokensRemoved: 2 });
  });

  it('drops everything after a block that never ends', () => {
    expect(scrubSecrets(['kept', BEGIN, 'AAAA', 'more'].join('\n')).text).toBe('kept');
  });
});

describe('redactSettings', () => {
  it('keeps key paths and public host keys, removes token-, secret- and other key-named values', () => {
    const redacted = redactSettings({
      cpus: 2,
      remoteBuilders: [{ id: 'a', sshKey: '/home/u/.ssh/id_ed25519', hostKey: 'ssh-ed25519 AAAAC3Nza', apiKey: 'sk-live-1' }],
      headless: { token: 'abc', clientSecret: 'def' },
    });
    expect(redacted).toEqual({
      cpus: 2,
      remoteBuilders: [{ id: 'a', sshKey: '/home/u/.ssh/id_ed25519', hostKey: 'ssh-ed25519 AAAAC3Nza', apiKey: '<removed>' }],
      headless: { token: '<removed>', clientSecret: '<removed>' },
    });
  });
});

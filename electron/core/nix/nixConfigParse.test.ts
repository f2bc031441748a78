import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isTrustedUser, machinesFilesOf, parseConfigJson, parseMachineLines, parseNixVersion, settingString, settingWords } from './nixConfigParse.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../resources/nix/fixtures/${name}`, import.meta.url)), 'utf8');

describe('parseNixVersion', () => {
  it('reads the version nix-bin 2.8 printed here', () => {
    expect(parseNixVersion(fixture('version-2.8.txt'))).toEqual({ version: '2.8.0', determinate: false });
  });
  it('recognises Determinate Nix by its version line', () => {
    expect(parseNixVersion('nix (Determinate Nix 3.6.2) 2.29.0\n')).toEqual({ version: '2.29.0', determinate: true });
  });
  it('returns null for something that is not nix', () => {
    expect(parseNixVersion('bash: nix: command not found')).toBeNull();
  });
});

describe('parseConfigJson', () => {
  it('reads values from the {name: {value}} dump of Nix 2.8 (recorded here)', () => {
    const settings = parseConfigJson(fixture('show-config-2.8.json'));
    expect(settingWords(settings.get('trusted-users'))).toEqual(['root']);
    expect(settingString(settings.get('builders'))).toBe('@/etc/nix/machines');
    expect(settingWords(settings.get('substituters'))).toEqual(['https://cache.nixos.org/']);
  });
  it('reads a configuration with a group in trusted-users and inline builders (recorded here)', () => {
    const settings = parseConfigJson(fixture('show-config-2.8-trusted-group.json'));
    expect(settingWords(settings.get('trusted-users'))).toEqual(['root', '@admin', 'alice']);
    const builders = settingString(settings.get('builders'));
    expect(machinesFilesOf(builders)).toEqual(['/etc/nix/machines']);
    expect(parseMachineLines(builders, 'nix.conf')).toEqual([
      { uri: 'ssh-ng://builder@linux-builder', host: 'linux-builder', systems: ['aarch64-linux'], source: 'nix.conf' },
    ]);
  });
  it('reads the bare-value dump of older Nix', () => {
    const settings = parseConfigJson('{"trusted-users":"root bob","builders":""}');
    expect(settingWords(settings.get('trusted-users'))).toEqual(['root', 'bob']);
    expect(settingString(settings.get('builders'))).toBe('');
  });
  it('refuses output that is not a JSON object', () => {
    expect(() => parseConfigJson('[1]')).toThrow('not a JSON object');
  });
});

describe('isTrustedUser', () => {
  it('trusts *, a listed name (root too only when listed) and a member of a listed @group, nobody else', () => {
    expect(isTrustedUser(['root'], 'root', [])).toBe(true);
    expect(isTrustedUser(['root'], 'alice', ['staff'])).toBe(false);
    expect(isTrustedUser(['root', '*'], 'alice', [])).toBe(true);
    expect(isTrustedUser(['root', 'alice'], 'alice', [])).toBe(true);
    expect(isTrustedUser(['root', '@admin'], 'alice', ['staff', 'admin'])).toBe(true);
    expect(isTrustedUser(['root', '@admin'], 'bob', ['staff'])).toBe(false);
    expect(isTrustedUser(['root', 'admin'], 'bob', ['admin'])).toBe(false);
    // As the daemon decides: root too only when listed (here everything runs as root).
    expect(isTrustedUser(['somebody-else'], 'root', ['root'])).toBe(false);
  });
});

describe('parseMachineLines', () => {
  it('skips comments and blank lines and reads nix-darwin\'s linux-builder line', () => {
    const text = '# builders\n\nssh-ng://builder@linux-builder aarch64-linux,x86_64-linux /etc/nix/builder_ed25519 1 1 kvm,benchmark,big-parallel - c3No\n';
    expect(parseMachineLines(text, '/etc/nix/machines')).toEqual([
      { uri: 'ssh-ng://builder@linux-builder', host: 'linux-builder', systems: ['aarch64-linux', 'x86_64-linux'], source: '/etc/nix/machines' },
    ]);
  });
});

describe('parseMachineLines, the way Nix 2.8 splits', () => {
  it('splits on ";" before stripping comments, as Nix does: a ";" inside a comment starts an entry', () => {
    expect(parseMachineLines('# a comment; oops\n', 'f').map((entry) => entry.uri)).toEqual(['oops']);
  });
});

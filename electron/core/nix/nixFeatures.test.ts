import { describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { checkNixFeature, nixHas, nixVersionAtLeast, requireNixFeature } from './nixFeatures.js';

describe('nixVersionAtLeast', () => {
  it('compares Nix versions by their numbers', () => {
    expect(nixVersionAtLeast('2.8.0', [2, 10])).toBe(false);
    expect(nixVersionAtLeast('2.9.2', '2.10')).toBe(false);
    expect(nixVersionAtLeast('2.10.0', '2.10')).toBe(true);
    expect(nixVersionAtLeast('2.18.1', [2, 10])).toBe(true);
    expect(nixVersionAtLeast('2.29.0pre20250101_abc', '2.29')).toBe(true);
    expect(nixVersionAtLeast('2.3', '2.30')).toBe(false);
    expect(nixVersionAtLeast('3.0', '2.31')).toBe(true);
  });
});

describe('which Nix has which feature', () => {
  it('knows the version of each feature from the release notes', () => {
    expect(nixHas('2.8.0', 'config-show-command')).toBe(false);
    expect(nixHas('2.19.3', 'config-show-command')).toBe(false);
    expect(nixHas('2.20.0', 'config-show-command')).toBe(true);
    expect(nixHas('2.18.1', 'flake-url-percent-decoding')).toBe(false);
    expect(nixHas('2.19.0', 'flake-url-percent-decoding')).toBe(true);
    expect(nixHas('2.29.1', 'json-log-path')).toBe(false);
    expect(nixHas('2.30.0', 'json-log-path')).toBe(true);
    expect(nixHas('2.30.2', 'ssh-store-url-port')).toBe(false);
    expect(nixHas('2.34.8', 'ssh-store-url-port')).toBe(true);
    expect(nixHas('2.14.1', 'store-trust-query')).toBe(false);
    expect(nixHas('2.15.0', 'store-trust-query')).toBe(true);
    expect(nixHas('2.18.2', 'store-info-command')).toBe(false);
    expect(nixHas('2.19.0', 'store-info-command')).toBe(true);
  });

  it('says which feature needs which version, and which Nix has which', () => {
    expect(checkNixFeature({ version: '2.26.3', binDir: '/opt/nix-2.26/bin' }, 'json-log-path')).toEqual({
      ok: false,
      feature: 'json-log-path',
      needs: '2.30',
      has: '2.26.3',
      message: 'The json-log-path setting (every build on the machine in one queue) needs Nix >= 2.30; /opt/nix-2.26/bin has Nix 2.26.3.',
    });
    expect(checkNixFeature({ version: '2.34.8', binDir: '/x' }, 'json-log-path')).toEqual({ ok: true });
  });

  it('refuses with nix-too-old and a hint that names the setting', () => {
    let caught: unknown;
    try {
      requireNixFeature({ version: '2.8.0', binDir: '/usr/bin' }, 'ssh-store-url-port');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BuilderBarError);
    expect(caught).toMatchObject({
      code: 'nix-too-old',
      message: 'A port in an ssh store URL needs Nix >= 2.31; /usr/bin has Nix 2.8.0.',
      hint: expect.stringContaining('nixBinDir'),
    });
    expect(() => requireNixFeature({ version: '2.31.0', binDir: '/x' }, 'ssh-store-url-port')).not.toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import { flattenSettings, settingAt, settingsPatchFrom } from './settingsArguments.js';

describe('settings set KEY=VALUE arguments', () => {
  it('reads JSON values as JSON and anything else as text', () => {
    expect(settingsPatchFrom(['cpus=2', 'hostPortAuto=true', 'profile=linux-test', 'name="quoted"'])).toEqual({
      cpus: 2,
      hostPortAuto: true,
      profile: 'linux-test',
      name: 'quoted',
    });
  });

  it('nests dotted keys into one patch', () => {
    expect(settingsPatchFrom(['restartPolicy.enabled=false', 'restartPolicy.maxPerMinute=3', 'logs.ringLines=500'])).toEqual({
      restartPolicy: { enabled: false, maxPerMinute: 3 },
      logs: { ringLines: 500 },
    });
  });

  it('reads an absolute path as text, and nothing after "=" as null (automatic)', () => {
    expect(settingsPatchFrom(['nixBinDir=/nix/var/nix/profiles/default/bin'])).toEqual({ nixBinDir: '/nix/var/nix/profiles/default/bin' });
    expect(settingsPatchFrom(['nixBinDir='])).toEqual({ nixBinDir: null });
    expect(settingsPatchFrom(['nixBinDir=null'])).toEqual({ nixBinDir: null });
  });

  it('keeps "=" inside a value', () => {
    expect(settingsPatchFrom(['note=a=b'])).toEqual({ note: 'a=b' });
  });

  it('passes names an object inherits (constructor, toString) on as names, for the core to refuse as no setting', () => {
    const patch = settingsPatchFrom(['constructor=1', 'toString.x=2', 'hasOwnProperty.y=3']);
    expect(Object.entries(patch)).toEqual([
      ['constructor', 1],
      ['toString', { x: 2 }],
      ['hasOwnProperty', { y: 3 }],
    ]);
  });

  it('refuses malformed arguments with a reason', () => {
    expect(() => settingsPatchFrom([])).toThrow(/at least one KEY=VALUE/);
    expect(() => settingsPatchFrom(['cpus'])).toThrow('Expected KEY=VALUE, got "cpus".');
    expect(() => settingsPatchFrom(['=2'])).toThrow(/Expected KEY=VALUE/);
    expect(() => settingsPatchFrom(['__proto__.x=1'])).toThrow(/is not a setting name/);
    expect(() => settingsPatchFrom(['cpus=1', 'cpus=2'])).toThrow('cpus is given twice.');
    expect(() => settingsPatchFrom(['restartPolicy=1', 'restartPolicy.enabled=true'])).toThrow(/conflicts/);
  });
});

describe('reading settings by key', () => {
  const settings = { cpus: 2, restartPolicy: { enabled: true, maxPerMinute: 6 } };

  it('finds nested values and says undefined for unknown keys', () => {
    expect(settingAt(settings, 'restartPolicy.enabled')).toBe(true);
    expect(settingAt(settings, 'restartPolicy')).toEqual({ enabled: true, maxPerMinute: 6 });
    expect(settingAt(settings, 'restartPolicy.nope')).toBeUndefined();
    expect(settingAt(settings, 'toString')).toBeUndefined();
  });

  it('flattens to dotted lines in order', () => {
    expect(flattenSettings(settings)).toEqual([
      ['cpus', 2],
      ['restartPolicy.enabled', true],
      ['restartPolicy.maxPerMinute', 6],
    ]);
  });
});

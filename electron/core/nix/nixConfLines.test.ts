import { describe, expect, it } from 'vitest';
import { lastSetting, malformedLines, parseNixConf } from './nixConfLines.js';

describe('nix.conf lines', () => {
  it('accepts settings, empty values, comments, blank lines and both includes', () => {
    const text = '# comment\nsubstituters =\nbuilders = @/etc/nix/machines # trailing comment\n\ninclude /etc/nix/a.conf\n!include /etc/nix/b.conf\n';
    expect(malformedLines(text)).toEqual([]);
    expect(parseNixConf(text).map((line) => line.kind)).toEqual(['blank', 'setting', 'setting', 'blank', 'include', 'include']);
    expect(lastSetting(text, 'builders')).toBe('@/etc/nix/machines');
    expect(lastSetting(text, 'substituters')).toBe('');
  });
  it('reports a line that is not key = value with its 1-based line number', () => {
    expect(malformedLines('max-jobs = 4\nthis is not a setting\n= value\nsandbox = false\n')).toEqual([
      { lineNumber: 2, text: 'this is not a setting' },
      { lineNumber: 3, text: '= value' },
    ]);
  });
  it('lets the last of several builders lines win, as Nix does', () => {
    expect(lastSetting('builders = a\nbuilders = b\n', 'builders')).toBe('b');
    expect(lastSetting('max-jobs = 1\n', 'builders')).toBeNull();
  });
});

describe('nix.conf lines as Nix 2.8 and 2.34 split them', () => {
  it('refuses `key=value` without spaces around `=` (both versions: "illegal/syntax error in configuration line")', () => {
    expect(malformedLines('builders=ssh://a\nmax-jobs =4\nkeep-outputs = true\n').map((line) => line.lineNumber)).toEqual([1, 2]);
  });
  it('re-joins a value\'s words with single spaces, as Nix does', () => {
    expect(lastSetting('builders = ssh://a   x86_64-linux\t- 1 1   \n', 'builders')).toBe('ssh://a x86_64-linux - 1 1');
  });
  it('refuses an include with no path or with two paths', () => {
    expect(malformedLines('include\n!include a b\ninclude a\n').map((line) => line.lineNumber)).toEqual([1, 2]);
  });
});

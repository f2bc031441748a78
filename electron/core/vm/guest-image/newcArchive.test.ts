import { execa } from 'execa';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newcArchive } from './newcArchive.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('newcArchive', () => {
  it('writes an archive GNU cpio extracts with the same names, contents and modes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'newc-'));
    dirs.push(dir);
    const archive = newcArchive([
      { kind: 'directory', path: 'etc', mode: 0o755 },
      { kind: 'directory', path: 'etc/builder-bar', mode: 0o700 },
      { kind: 'file', path: 'etc/builder-bar/boot-marker', mode: 0o644, data: 'marker-1\n' },
      // Lengths 1, 2, 3 and 5 exercise every padding remainder of names and data.
      { kind: 'file', path: 'etc/builder-bar/k', mode: 0o600, data: 'a' },
      { kind: 'file', path: 'etc/builder-bar/ke', mode: 0o600, data: 'ab' },
      { kind: 'file', path: 'etc/builder-bar/key', mode: 0o600, data: new Uint8Array([0, 1, 2]) },
      { kind: 'file', path: 'etc/builder-bar/empty', mode: 0o600, data: '' },
      { kind: 'file', path: 'etc/builder-bar/five5', mode: 0o600, data: '12345' },
    ]);
    expect(archive.length % 4).toBe(0);
    await writeFile(path.join(dir, 'a.cpio'), archive);
    const out = path.join(dir, 'out');
    await execa('mkdir', [out]);
    await execa('cpio', ['-i', '-d', '--quiet', '--no-absolute-filenames', '-F', path.join(dir, 'a.cpio')], { cwd: out });
    expect(await readFile(path.join(out, 'etc/builder-bar/boot-marker'), 'utf8')).toBe('marker-1\n');
    expect(await readFile(path.join(out, 'etc/builder-bar/k'), 'utf8')).toBe('a');
    expect(await readFile(path.join(out, 'etc/builder-bar/ke'), 'utf8')).toBe('ab');
    expect([...(await readFile(path.join(out, 'etc/builder-bar/key')))]).toEqual([0, 1, 2]);
    expect(await readFile(path.join(out, 'etc/builder-bar/empty'), 'utf8')).toBe('');
    expect(await readFile(path.join(out, 'etc/builder-bar/five5'), 'utf8')).toBe('12345');
    expect((await stat(path.join(out, 'etc/builder-bar/key'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(out, 'etc/builder-bar'))).mode & 0o777).toBe(0o700);
    const listing = await execa('cpio', ['-t', '--quiet', '-F', path.join(dir, 'a.cpio')]);
    expect(listing.stdout.split('\n')).toEqual([
      'etc',
      'etc/builder-bar',
      'etc/builder-bar/boot-marker',
      'etc/builder-bar/k',
      'etc/builder-bar/ke',
      'etc/builder-bar/key',
      'etc/builder-bar/empty',
      'etc/builder-bar/five5',
    ]);
  });

  it('gives equal bytes for equal entries (no timestamps leak in)', () => {
    const entries = [{ kind: 'file', path: 'a', mode: 0o600, data: 'x' }] as const;
    expect(newcArchive(entries).equals(newcArchive(entries))).toBe(true);
  });

  it('refuses absolute and escaping paths', () => {
    expect(() => newcArchive([{ kind: 'file', path: '/etc/x', mode: 0o600, data: '' }])).toThrow(/relative/);
    expect(() => newcArchive([{ kind: 'file', path: 'etc/../../x', mode: 0o600, data: '' }])).toThrow(/relative/);
  });
});

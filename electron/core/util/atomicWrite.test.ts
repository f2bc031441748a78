import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyAndAppendAtomic, writeFileAtomic } from './atomicWrite.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'atomic-write-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole with the mode asked for, durable or not, leaving no temp file', async () => {
    const target = path.join(dir, 'settings.json');
    await writeFile(target, 'old');
    await writeFileAtomic(target, 'new', { mode: 0o600 });
    expect(await readFile(target, 'utf8')).toBe('new');
    await writeFileAtomic(target, 'newer', { mode: 0o640, durable: false });
    expect(await readFile(target, 'utf8')).toBe('newer');
    expect((await stat(target)).mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(['settings.json']);
  });
});

describe('copyAndAppendAtomic', () => {
  it('writes the source then the tail, with the narrow mode even when the source is readable by all', async () => {
    const source = path.join(dir, 'base.img');
    await writeFile(source, 'BASE!');
    await chmod(source, 0o644);
    const target = path.join(dir, 'boot.img');
    let seenSize = -1;
    await copyAndAppendAtomic(target, source, (size) => {
      seenSize = size;
      return Buffer.from('+secret');
    }, { mode: 0o600, durable: false });
    expect(seenSize).toBe(5);
    expect(await readFile(target, 'utf8')).toBe('BASE!+secret');
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['base.img', 'boot.img']);
  });

  it('leaves the old target and no temp file when the source is missing', async () => {
    const target = path.join(dir, 'boot.img');
    await writeFile(target, 'previous boot');
    await expect(copyAndAppendAtomic(target, path.join(dir, 'gone.img'), () => Buffer.from('x'), { mode: 0o600 })).rejects.toThrow(/ENOENT/);
    expect(await readFile(target, 'utf8')).toBe('previous boot');
    expect(await readdir(dir)).toEqual(['boot.img']);
    expect(existsSync(path.join(dir, 'gone.img'))).toBe(false);
  });
});

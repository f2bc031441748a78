import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingFile } from './rotatingFile.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('RotatingFile', () => {
  it('batches many writes, keeps their order, and never lets a batch push a file past its size', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bb-rotating-'));
    dirs.push(dir);
    const errors: Error[] = [];
    const file = new RotatingFile({ path: path.join(dir, 'x.log'), maxBytes: 1000, keep: 2, onError: (error) => errors.push(error) });
    // 120 lines of 20 bytes: 2400 bytes, so two rotations.
    for (let i = 0; i < 120; i += 1) file.write(`line ${String(i).padStart(3, '0')} ..........\n`);
    await file.flush();
    expect(errors).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['x.log', 'x.log.1', 'x.log.2']);
    const texts = await Promise.all(['x.log.2', 'x.log.1', 'x.log'].map((name) => readFile(path.join(dir, name), 'utf8')));
    for (const text of texts) expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1000);
    const lines = texts.join('').trim().split('\n');
    expect(lines).toHaveLength(120);
    expect(lines.at(-1)).toBe('line 119 ..........');
    expect(lines).toEqual([...lines].sort());
  });

  it('reports a failing disk once and keeps going', async () => {
    const errors: Error[] = [];
    const file = new RotatingFile({ path: '/nonexistent-dir-for-bb/x.log', maxBytes: 1000, keep: 1, onError: (error) => errors.push(error) });
    file.write('a\n');
    await file.flush();
    file.write('b\n');
    await file.flush();
    expect(errors).toHaveLength(1);
  });
});

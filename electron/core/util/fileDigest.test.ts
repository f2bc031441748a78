import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileDigest } from './fileDigest.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bb-digest-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fileDigest', () => {
  it('is the SHA-256 and size of the whole file, across read chunks', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const file = path.join(dir, 'state.bin');
    await writeFile(file, bytes);
    expect(await fileDigest(file)).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), sizeBytes: bytes.length });
  });

  it('rejects with the reason for a file it cannot read', async () => {
    await expect(fileDigest(path.join(dir, 'missing.bin'))).rejects.toThrow(/ENOENT/);
  });

  it('rejects when cancelled', async () => {
    const file = path.join(dir, 'state.bin');
    await writeFile(file, randomBytes(1024));
    const controller = new AbortController();
    const digest = fileDigest(file, controller.signal);
    controller.abort();
    await expect(digest).rejects.toThrow(/cancelled/);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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

// Linux lists a process's descriptors in /proc/self/fd; elsewhere there is nothing to count.
const openDescriptors = async (): Promise<number> => (await readdir('/proc/self/fd')).length;

describe.runIf(existsSync('/proc/self/fd'))('fileDigest and descriptors', () => {
  it('leaves no descriptor open, answered, failed or cancelled', async () => {
    const file = path.join(dir, 'state.bin');
    await writeFile(file, randomBytes(2 * 1024 * 1024));
    await fileDigest(file);
    const before = await openDescriptors();
    for (let round = 0; round < 5; round += 1) {
      await fileDigest(file);
      const controller = new AbortController();
      const cancelled = fileDigest(file, controller.signal);
      setImmediate(() => controller.abort());
      await cancelled.catch(() => undefined);
      await fileDigest(path.join(dir, 'missing.bin')).catch(() => undefined);
    }
    expect(await openDescriptors()).toBe(before);
  });
});

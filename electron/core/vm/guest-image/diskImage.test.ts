import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GIB, diskSizeMismatchMessage, ensureDiskImage, readDiskVirtualSize } from './diskImage.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'disk-'));
  dirs.push(dir);
  return dir;
}

describe('the persistent disk', () => {
  it('is created once with the requested size, private to the user', async () => {
    const disk = path.join(await tempDir(), 'nix.qcow2');
    expect(await readDiskVirtualSize(disk)).toBeNull();
    const made = await ensureDiskImage({ diskImage: disk, diskGiB: 3 });
    expect(made).toMatchObject({ created: true, virtualSizeBytes: 3 * GIB, sizeMatches: true });
    expect(await readDiskVirtualSize(disk)).toBe(3 * GIB);
    expect((await stat(disk)).mode & 0o777).toBe(0o600);
    const again = await ensureDiskImage({ diskImage: disk, diskGiB: 3 });
    expect(again).toMatchObject({ created: false, sizeMatches: true });
  });

  it('keeps an existing disk of another size and says a new size needs a new disk', async () => {
    const disk = path.join(await tempDir(), 'nix.qcow2');
    await ensureDiskImage({ diskImage: disk, diskGiB: 2 });
    const before = await stat(disk);
    const state = await ensureDiskImage({ diskImage: disk, diskGiB: 20 });
    expect(state).toMatchObject({ created: false, sizeMatches: false, virtualSizeBytes: 2 * GIB, requestedBytes: 20 * GIB });
    expect((await stat(disk)).mtimeMs).toBe(before.mtimeMs);
    expect(await readDiskVirtualSize(disk)).toBe(2 * GIB);
    const message = diskSizeMismatchMessage(state);
    expect(message).toContain('disk is 2 GiB but the setting asks for 20 GiB');
    expect(message).toContain('a new size needs a new disk');
    expect(message).toContain(disk);
  });

  it('refuses a size that is not a whole number of GiB', async () => {
    const disk = path.join(await tempDir(), 'nix.qcow2');
    await expect(ensureDiskImage({ diskImage: disk, diskGiB: 0 })).rejects.toThrow(/whole number of GiB/);
    await expect(ensureDiskImage({ diskImage: disk, diskGiB: 1.5 })).rejects.toThrow(/whole number of GiB/);
  });

  it('names a FIFO where the disk goes instead of starting qemu-img on it, which waits for ever', async () => {
    const disk = path.join(await tempDir(), 'nix.qcow2');
    execFileSync('mkfifo', [disk]);
    const outcome = await Promise.race([
      ensureDiskImage({ diskImage: disk, diskGiB: 2 }).catch((error: unknown) => error),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 5_000).unref()),
    ]);
    // A qemu-img still waiting on the FIFO lets go once its other end opens (O_RDWR opens both).
    if (outcome === 'hung') closeSync(openSync(disk, constants.O_RDWR | constants.O_NONBLOCK));
    expect(String(outcome)).toMatch(/is a FIFO, not a disk image/);
  });
});

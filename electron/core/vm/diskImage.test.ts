import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { diskSizeGiB } from './diskImage.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-disk-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The first bytes of a qcow2 image: magic, version, and the virtual size at offset 24. */
function qcow2Header(virtualBytes: bigint): Buffer {
  const header = Buffer.alloc(104);
  header.write('QFI\xfb', 0, 'latin1');
  header.writeUInt32BE(3, 4);
  header.writeBigUInt64BE(virtualBytes, 24);
  return header;
}

describe('the disk image size', () => {
  it('is null before there is an image', async () => {
    await expect(diskSizeGiB(path.join(dir, 'disk.qcow2'))).resolves.toBeNull();
  });

  it("is a qcow2 image's virtual size from its header, not the file's size", async () => {
    const image = path.join(dir, 'disk.qcow2');
    writeFileSync(image, qcow2Header(20n * 2n ** 30n));
    await expect(diskSizeGiB(image)).resolves.toBe(20);
  });

  it('is the file size of an image without the qcow2 magic (a raw disk)', async () => {
    const image = path.join(dir, 'disk.raw');
    writeFileSync(image, '');
    truncateSync(image, 3 * 2 ** 30); // sparse: takes no room on the test machine
    await expect(diskSizeGiB(image)).resolves.toBe(3);
  });

  it.each([
    ['a directory', (image: string) => mkdirSync(image), /is a directory, not a disk image/],
    ['a FIFO', (image: string) => execFileSync('mkfifo', [image]), /is a FIFO, not a disk image/],
  ])('is refused, naming what is there, when the image is %s (never opened: a FIFO blocks for ever)', async (_kind, make, said) => {
    const image = path.join(dir, 'disk.qcow2');
    make(image);
    const outcome = await Promise.race([
      diskSizeGiB(image).catch((error: unknown) => error),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 3_000).unref()),
    ]);
    // An open still waiting on a FIFO lets go once its other end opens (O_RDWR opens both).
    if (outcome === 'hung') closeSync(openSync(image, constants.O_RDWR | constants.O_NONBLOCK));
    expect(outcome).toBeInstanceOf(BuilderBarError);
    expect((outcome as BuilderBarError).message).toMatch(said);
    expect((outcome as BuilderBarError).hint).toMatch(/Move it away/);
  });
});

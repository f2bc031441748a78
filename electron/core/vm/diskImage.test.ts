import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
});

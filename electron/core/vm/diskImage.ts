/**
 * The size of the builder's disk as the guest sees it, read from the image itself, so the
 * settings can refuse a disk smaller than the one that exists (shrinking would lose the
 * guest's /nix). A qcow2 file is much smaller than its virtual size; its header says the size.
 */
import { promises as fs } from 'node:fs';
import { BuilderBarError } from '../errors.js';
import { describeFileType } from '../util/regularFile.js';

const QCOW2_MAGIC = 'QFI\xfb';

/** The image's virtual size in GiB (a raw image: its file size), or null when there is no image. */
export async function diskSizeGiB(image: string): Promise<number | null> {
  await refuseNonImage(image);
  const handle = await fs.open(image, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const header = Buffer.alloc(32);
    await handle.read(header, 0, 32, 0);
    // qcow2 header: magic at 0, the virtual size as a big-endian u64 at 24.
    const bytes = header.toString('latin1', 0, 4) === QCOW2_MAGIC ? Number(header.readBigUInt64BE(24)) : (await handle.stat()).size;
    return Math.round(bytes / 2 ** 30);
  } finally {
    await handle.close();
  }
}

/**
 * Something other than a file (or a disk device) where the disk goes, put there while the builder
 * was stopped, is named, never opened: opening a FIFO blocks for ever (the request, and a thread
 * of the core's with it), and a directory failed with a bare EISDIR shown as a bug. Nothing there
 * is fine: there is no disk yet.
 */
export async function refuseNonImage(image: string): Promise<void> {
  const stat = await fs.stat(image).catch(() => null);
  if (stat === null || stat.isFile() || stat.isBlockDevice()) return;
  throw new BuilderBarError(
    'vm-failed',
    `The builder's disk ${image} is ${describeFileType(stat)}, not a disk image.`,
    'Move it away while the builder is stopped; the next start makes a new disk there.',
  );
}

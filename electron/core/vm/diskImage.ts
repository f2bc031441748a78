/**
 * The size of the builder's disk as the guest sees it, read from the image itself, so the
 * settings can refuse a disk smaller than the one that exists (shrinking would lose the
 * guest's /nix). A qcow2 file is much smaller than its virtual size; its header says the size.
 */
import { promises as fs } from 'node:fs';

const QCOW2_MAGIC = 'QFI\xfb';

/** The image's virtual size in GiB (a raw image: its file size), or null when there is no image. */
export async function diskSizeGiB(image: string): Promise<number | null> {
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

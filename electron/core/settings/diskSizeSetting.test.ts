import { describe, expect, it } from 'vitest';
import { refuseShrinkingDisk } from './diskSizeSetting.js';

const disk = (sizeGiB: number | null) => ({ sizeGiB: async () => sizeGiB, path: '/state/vm/disk.qcow2' });

describe('refuseShrinkingDisk', () => {
  it('refuses a size below the existing disk, saying how to get a smaller one', async () => {
    const error = await refuseShrinkingDisk({ diskGiB: 10 }, disk(20)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'invalid-settings',
      message: "Settings not saved: diskGiB: the builder's disk (/state/vm/disk.qcow2) is 20 GiB and a disk cannot shrink to 10 GiB.",
    });
    expect((error as { hint: string }).hint).toMatch(/stop the builder, delete \/state\/vm\/disk\.qcow2/);
  });

  it('lets the same size, a larger one, no disk yet and other settings through', async () => {
    await expect(refuseShrinkingDisk({ diskGiB: 20 }, disk(20))).resolves.toBeUndefined();
    await expect(refuseShrinkingDisk({ diskGiB: 40 }, disk(20))).resolves.toBeUndefined();
    await expect(refuseShrinkingDisk({ diskGiB: 1 }, disk(null))).resolves.toBeUndefined();
    await expect(refuseShrinkingDisk({ cpus: 2 }, disk(20))).resolves.toBeUndefined();
  });
});

/**
 * Before a start of a guest with a control port: this start's snapshot keys, and the snapshot to
 * restore when one with exactly these keys is on disk (snapshotStore.ts drops any other, saying
 * why: a setting changed, another QEMU or image, a save that did not finish).
 */
import type { AcceleratorName } from '../profile.js';
import type { PreparedGuest } from '../profile.js';
import type { Settings } from '../../../ipc/contract.js';
import type { SnapshotKeys, SnapshotRecord } from './snapshotRecord.js';
import { snapshotFilesIn, usableSnapshot, type Say, type SnapshotFiles } from './snapshotStore.js';
import { hostArch, qemuIdentity } from './startGuest.js';

export interface SnapshotPlanInput {
  vmDir: string;
  profile: string;
  settings: Pick<Settings, 'cpus' | 'memoryMiB'>;
  qemuBinary: string;
  accelerator: AcceleratorName;
  prepared: PreparedGuest;
  /** The pinned host key's fingerprint. */
  hostKey: string;
  say: Say;
}

export interface SnapshotPlan {
  files: SnapshotFiles;
  keys: SnapshotKeys;
  restore: SnapshotRecord | null;
}

export async function planSnapshot(input: SnapshotPlanInput): Promise<SnapshotPlan> {
  const files = snapshotFilesIn(input.vmDir);
  const keys: SnapshotKeys = {
    profile: input.profile,
    // A profile without an image hash never matches a saved one ('' is never saved as such).
    image: input.prepared.extra.imageHash ?? `unhashed ${input.prepared.kernel ?? ''} ${input.prepared.initrd ?? ''}`,
    qemu: await qemuIdentity(input.qemuBinary),
    accelerator: input.accelerator,
    cpus: input.settings.cpus,
    memoryMiB: input.settings.memoryMiB,
    diskBytes: Number(input.prepared.extra.diskVirtualSizeBytes ?? 0),
    hostKey: input.hostKey,
    hostArch: hostArch(),
  };
  const restore = await usableSnapshot(files, keys, input.say);
  return { files, keys, restore };
}

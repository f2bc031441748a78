/**
 * The `diskGiB` setting against the disk that exists. A qcow2 disk and the ext4 filesystem in it
 * cannot shrink, so a size below the existing disk is refused (nothing saved) with the way to a
 * smaller disk; a larger size is saved and applies to the next new disk (settingsEffects.ts says
 * so). Users of nix-darwin's linux-builder saw a changed size quietly ignored (nix-darwin 1200).
 */
import type { SettingsPatch } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';

export interface ExistingDisk {
  /** The disk's size in GiB (rounded up), or null when there is no disk yet. */
  sizeGiB: () => Promise<number | null>;
  path: string;
}

/** Refuses a patch whose diskGiB is smaller than the builder's existing disk. */
export async function refuseShrinkingDisk(patch: SettingsPatch, disk: ExistingDisk): Promise<void> {
  const wanted = patch.diskGiB;
  if (wanted === undefined) return;
  const existing = await disk.sizeGiB();
  if (existing === null || wanted >= existing) return;
  throw new BuilderBarError(
    'invalid-settings',
    `Settings not saved: diskGiB: the builder's disk (${disk.path}) is ${existing} GiB and a disk cannot shrink to ${wanted} GiB.`,
    `Nothing was changed. Keep ${existing} GiB, or to start over with a ${wanted} GiB disk: stop the builder, delete ${disk.path} `
      + '(the store paths it holds go with it; Nix builds or fetches them again), then set the size.',
  );
}

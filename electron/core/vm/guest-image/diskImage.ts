/**
 * The guest's persistent disk (qcow2), which holds its /nix so store paths survive restarts.
 * Made with `qemu-img create` when missing. An existing disk is never resized or replaced
 * behind the user's back: when its size differs from the setting, it is kept and the caller
 * is told that the new size needs a new disk (nix-darwin users hit a silently ignored size).
 */
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from '../../errors.js';
import { refuseNonImage } from '../diskImage.js';
import { QEMU_IMG, requireTool } from './hostTools.js';

export const GIB = 1024 ** 3;

export interface DiskImageState {
  path: string;
  /** True when this call made the disk. */
  created: boolean;
  virtualSizeBytes: number;
  requestedBytes: number;
  /** False when an existing disk has another size than the setting asks for. */
  sizeMatches: boolean;
}

/**
 * The disk's virtual size in bytes, or null when there is no disk. Reads with `-U` (shared
 * lock) so it also works while QEMU holds the image open.
 */
export async function readDiskVirtualSize(diskImage: string, qemuImg?: string): Promise<number | null> {
  try {
    await fs.access(diskImage);
  } catch {
    return null;
  }
  // qemu-img opening a FIFO left there would wait for ever, and the start with it.
  await refuseNonImage(diskImage);
  const binary = qemuImg ?? (await requireTool(QEMU_IMG));
  const result = await execa(binary, ['info', '-U', '--output=json', diskImage], { reject: false });
  if (result.exitCode !== 0) {
    throw new BuilderBarError('vm-failed', `Cannot read the disk image ${diskImage}: ${result.stderr.trim()}`,
      'The file may be damaged; delete it while the builder is stopped and a new disk is made at the next start.');
  }
  const info = JSON.parse(result.stdout) as { 'virtual-size'?: unknown };
  if (typeof info['virtual-size'] !== 'number') {
    throw new BuilderBarError('vm-failed', `qemu-img info gave no virtual size for ${diskImage}.`);
  }
  return info['virtual-size'];
}

export function qemuImgCreateArgs(diskImage: string, diskGiB: number): string[] {
  return ['create', '-q', '-f', 'qcow2', diskImage, `${diskGiB}G`];
}

export interface EnsureDiskImageInput {
  diskImage: string;
  diskGiB: number;
  qemuImg?: string;
}

export async function ensureDiskImage(input: EnsureDiskImageInput): Promise<DiskImageState> {
  if (!Number.isInteger(input.diskGiB) || input.diskGiB < 1) {
    throw new BuilderBarError('invalid-settings', `Disk size must be a whole number of GiB, at least 1 (got ${input.diskGiB}).`);
  }
  const requestedBytes = input.diskGiB * GIB;
  const qemuImg = input.qemuImg ?? (await requireTool(QEMU_IMG));
  const existing = await readDiskVirtualSize(input.diskImage, qemuImg);
  if (existing !== null) {
    return { path: input.diskImage, created: false, virtualSizeBytes: existing, requestedBytes, sizeMatches: existing === requestedBytes };
  }
  // Made under a temporary name and renamed, so an interrupted create never leaves a
  // half-written disk that a later start would take for the real one.
  const temp = path.join(path.dirname(input.diskImage), `.${path.basename(input.diskImage)}.creating`);
  await fs.rm(temp, { force: true });
  const result = await execa(qemuImg, qemuImgCreateArgs(temp, input.diskGiB), { reject: false });
  if (result.exitCode !== 0) {
    await fs.rm(temp, { force: true });
    throw new BuilderBarError('vm-failed', `qemu-img could not create the disk: ${result.stderr.trim()}`);
  }
  // The disk holds everything the builder built: readable by this user only.
  await fs.chmod(temp, 0o600);
  await fs.rename(temp, input.diskImage);
  return { path: input.diskImage, created: true, virtualSizeBytes: requestedBytes, requestedBytes, sizeMatches: true };
}

/** The sentence shown when the setting and the existing disk disagree. */
export function diskSizeMismatchMessage(state: DiskImageState): string {
  const have = (state.virtualSizeBytes / GIB).toFixed(state.virtualSizeBytes % GIB === 0 ? 0 : 1);
  const want = (state.requestedBytes / GIB).toFixed(0);
  return `The builder's disk is ${have} GiB but the setting asks for ${want} GiB: a new size needs a new disk. `
    + `The existing disk (${state.path}) is kept; delete it while the builder is stopped to get a ${want} GiB one (its store paths go with it).`;
}

/**
 * Disks that nixpkgs' builder left on this Mac before Builder Bar: `nix run
 * nixpkgs#darwin.linux-builder` writes `nixos.qcow2` into the directory it runs in (most often
 * the home directory), and nix-darwin's `nix.linux-builder` keeps its one in its working
 * directory: /var/lib/linux-builder since nix-darwin 25.05, /var/lib/darwin-builder before
 * (nix-darwin modules/nix/linux-builder.nix, commit a175c68f, which also moves the old directory
 * to the new one at the next activation). The file is `nixos.qcow2` in every case: qemu-vm.nix's
 * `virtualisation.diskImage` defaults to `./${system.name}.qcow2`, and nixpkgs' builder
 * (nix-builder-vm.nix) leaves the host name at NixOS's default, `nixos`. Such a disk holds
 * everything that builder built or fetched. Builder
 * Bar never deletes or changes it: it lists it, and on request copies it in as its own builder's
 * disk (the same NixOS layout: an ext4 filesystem labelled nixos), so that store is not built
 * again. The copy is a clone where the filesystem can (APFS), so it costs no space until either
 * side changes.
 */
import { execa } from 'execa';
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from '../../errors.js';
import { shellQuoted } from '../../stateDirProblem.js';

export interface UpstreamDiskOrigin {
  path: string;
  origin: string;
}

/** Where upstream's builder leaves its disk, and who left it there. */
export function upstreamDiskCandidates(home: string): UpstreamDiskOrigin[] {
  return [
    { path: path.join(home, 'nixos.qcow2'), origin: '`nix run nixpkgs#darwin.linux-builder` run in your home directory' },
    // nix-darwin deletes this directory when nix.linux-builder is turned off (commit b8939c4f):
    // the origin says so, since that is the moment a user moving to Builder Bar is likely to pick.
    {
      path: '/var/lib/linux-builder/nixos.qcow2',
      origin: "nix-darwin's nix.linux-builder (its working directory since nix-darwin 25.05; nix-darwin deletes it when nix.linux-builder is turned off, so import it first)",
    },
    { path: '/var/lib/darwin-builder/nixos.qcow2', origin: "nix-darwin's nix.linux-builder before nix-darwin 25.05 (its working directory)" },
  ];
}

export interface UpstreamDisk extends UpstreamDiskOrigin {
  /** Bytes the file takes. */
  sizeBytes: number;
  modified: string;
  /** Whether this user can read it (nix-darwin's belongs to root). */
  readable: boolean;
}

const QCOW2_MAGIC = 'QFI\xfb';

async function isQcow2(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r').catch(() => null);
  if (!handle) return false;
  try {
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    return magic.toString('latin1') === QCOW2_MAGIC;
  } finally {
    await handle.close();
  }
}

async function canRead(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** The candidates that exist as regular files (a symlink is not followed into someone else's file). */
export async function findUpstreamDisks(candidates: UpstreamDiskOrigin[]): Promise<UpstreamDisk[]> {
  const found: UpstreamDisk[] = [];
  for (const candidate of candidates) {
    const stat = await fs.lstat(candidate.path).catch(() => null);
    if (!stat?.isFile()) continue;
    const readable = await canRead(candidate.path);
    // A readable file that is not a qcow2 image is not upstream's disk: leave it out.
    if (readable && !(await isQcow2(candidate.path))) continue;
    found.push({ ...candidate, sizeBytes: stat.blocks * 512, modified: stat.mtime.toISOString(), readable });
  }
  return found;
}

export interface ImportDiskInput {
  /** The upstream disk to copy; must be one of `candidates` (no other file is read). */
  source: string;
  candidates: UpstreamDiskOrigin[];
  /** Builder Bar's own disk (vm/disk.qcow2); must not exist yet. */
  target: string;
  qemuImg: string;
}

export interface ImportedDisk {
  source: string;
  target: string;
  virtualSizeBytes: number;
}

interface QemuImgInfo {
  format: string;
  virtualSize: number;
  /** The image this one is an overlay on, as qemu-img resolves it; null for a self-contained disk. */
  backingFile: string | null;
}

async function qemuImgInfo(qemuImg: string, file: string): Promise<QemuImgInfo> {
  // Without --force-share: qemu-img takes QEMU's lock, so a disk a running builder holds fails here.
  const result = await execa(qemuImg, ['info', '--output=json', '--', file], { reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0) {
    const why = result.stderr.trim();
    if (/lock/i.test(why)) {
      throw new BuilderBarError('busy', `${file} is in use by a running QEMU: a copy of a disk being written would be damaged.`,
        'Stop the builder that runs it (for nix-darwin: sudo launchctl bootout system/org.nixos.linux-builder), then import again.');
    }
    throw new BuilderBarError('invalid-request', `qemu-img cannot read ${file}: ${why}`, 'Nothing was copied. Check that the file is a builder disk.');
  }
  const info = JSON.parse(result.stdout) as { format?: unknown; 'virtual-size'?: unknown; 'backing-filename'?: unknown; 'full-backing-filename'?: unknown };
  const backing = info['full-backing-filename'] ?? info['backing-filename'];
  return { format: String(info.format), virtualSize: Number(info['virtual-size']), backingFile: typeof backing === 'string' && backing !== '' ? backing : null };
}

/** Copies an upstream disk in as the builder's disk; the source is only read. */
export async function importUpstreamDisk(input: ImportDiskInput): Promise<ImportedDisk> {
  if (!input.candidates.some((candidate) => candidate.path === input.source)) {
    throw new BuilderBarError('invalid-request', `${input.source} is not a disk nixpkgs' builder leaves: Builder Bar imports only ${input.candidates.map((c) => c.path).join(' or ')}.`,
      'Nothing was copied. Move the disk to one of those places first, or let Builder Bar make a new one.');
  }
  if ((await fs.lstat(input.target).catch(() => null)) !== null) {
    throw new BuilderBarError('invalid-request', `The builder already has its own disk (${input.target}); importing would replace what it holds.`,
      `Nothing was copied. To use ${input.source} instead: stop the builder, move ${input.target} away (or delete it: its store paths go with it), then import again.`);
  }
  const stat = await fs.lstat(input.source).catch(() => null);
  if (!stat?.isFile()) {
    throw new BuilderBarError('invalid-request', `${input.source} is not there (or is not a regular file).`, 'Nothing was copied.');
  }
  if (!(await canRead(input.source))) {
    throw new BuilderBarError('disk', `${input.source} cannot be read by your account (nix-darwin keeps it as root).`,
      `Nothing was copied. Builder Bar does not read root's files; copy it yourself (sudo cp ${input.source} ~/nixos.qcow2 && sudo chown "$USER" ~/nixos.qcow2), then import ~/nixos.qcow2.`);
  }
  const info = await qemuImgInfo(input.qemuImg, input.source);
  if (info.format !== 'qcow2') {
    throw new BuilderBarError('invalid-request', `${input.source} is a ${info.format} image, not the qcow2 disk nixpkgs' builder makes.`, 'Nothing was copied.');
  }
  if (info.backingFile !== null) {
    // An overlay holds only what changed since its backing image: copied alone, a relative
    // backing name no longer resolves from the state dir, and an absolute one ties the builder's
    // disk to a file outside it (a store path a GC may delete). One self-contained file is safe.
    const flat = `${input.source}.flat`;
    throw new BuilderBarError('invalid-request', `${input.source} is an overlay on ${info.backingFile} (a qcow2 backing file), not a disk on its own: a copy would not hold the store it shows.`,
      `Nothing was copied. Make it one file first, then import again: qemu-img convert -O qcow2 -- ${shellQuoted(input.source)} ${shellQuoted(flat)} && mv -- ${shellQuoted(flat)} ${shellQuoted(input.source)}`);
  }
  const temp = path.join(path.dirname(input.target), `.${path.basename(input.target)}.importing`);
  await fs.rm(temp, { force: true });
  try {
    // A clone where the filesystem can (APFS, btrfs, XFS), else a plain copy.
    await fs.copyFile(input.source, temp, fsConstants.COPYFILE_FICLONE);
    await fs.chmod(temp, 0o600);
    await fs.rename(temp, input.target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new BuilderBarError('disk', `Not enough free space to copy ${input.source} (${(stat.size / 2 ** 30).toFixed(1)} GiB) into ${path.dirname(input.target)}.`,
        'Nothing was changed. Free some space, then import again.');
    }
    throw error;
  }
  return { source: input.source, target: input.target, virtualSizeBytes: info.virtualSize };
}

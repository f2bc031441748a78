/**
 * `darwin-linux-builder`: nixpkgs' `darwin.linux-builder` NixOS guest on macOS, run by
 * Builder Bar's own QEMU command instead of upstream's script: port forward on 127.0.0.1 only
 * (upstream binds every interface), the disk in the state dir (never ./nixos.qcow2 in the
 * working directory), QMP and a console log file, hvf when the probe proves it works.
 *
 * The guest expects what nixpkgs' VM module gives it: a root disk (ext4, label `nixos`, drive
 * serial `root`), the store image (erofs, label `nix-store`), 9p shares `keys` (/var/keys, with
 * `builder_ed25519.pub`, the key user `builder` logs in with), `xchg`, `shared` and `certs`
 * (all needed for boot), and its kernel parameters. Its ssh host key is the one committed in
 * nixpkgs: pinned, with the weakness shown.
 */
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from '../../errors.js';
import { ensurePrivateDir, writeFileAtomic } from '../../util/atomicWrite.js';
import type { BuilderProfile, LaunchInput, LaunchPlan, PreparedGuest, PrepareInput } from '../profile.js';
import { diskSizeMismatchMessage, ensureDiskImage, GIB, readDiskVirtualSize } from '../guest-image/diskImage.js';
import { NIX, QEMU_IMG, requireTool } from '../guest-image/hostTools.js';
import { DEFAULT_NIXPKGS_FLAKE, nixBuildPiecesArgs } from './darwinLinuxBuilderNix.js';
import {
  checkResources, cpuModel, headlessArgs, pidFileArgs, qemuOptionValue, qmpArgs, serialConsoleArgs, userNetworkArgs,
} from './qemuArgs.js';

export const DARWIN_BUILDER_VM_NAME = 'builder-bar-linux-builder';

/** nixpkgs nixos/modules/profiles/keys/ssh_host_ed25519_key.pub (FACTS.md section 1). */
export const DARWIN_BUILDER_HOST_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb root@nixos';

export const DARWIN_BUILDER_HOST_KEY_WEAKNESS =
  'This builder\'s host key is the one nixpkgs publishes in its repository, so its private half is public: '
  + 'any program on this Mac that gets to listen on the builder\'s port first could pretend to be the builder. '
  + 'Builder Bar still pins that key (better than no check) and binds the port to 127.0.0.1 only; '
  + 'the linux-test profile uses a host key made for this install instead.';

/** Kernel parameter carrying this boot's marker; the readiness command reads it back. */
export const BOOT_MARKER_PARAM = 'builder_bar.boot_marker';

export const DARWIN_BUILDER_READINESS_COMMAND =
  `sed -n 's/.*${BOOT_MARKER_PARAM.replace('.', '\\.')}=\\([^ ]*\\).*/\\1/p' /proc/cmdline && nix-store --version`;

/** The Mac's architecture decides the emulator and the machine. */
export type MacArch = 'arm64' | 'x64';

export interface DarwinLinuxBuilderOptions {
  arch?: MacArch;
  /** The nixpkgs flake the builder comes from. */
  nixpkgs?: string;
  /**
   * The `nix` of the Nix Builder Bar uses (the nixBinDir setting, then the environment and Nix's
   * profile directories: NixLocator); without it, `nix` on PATH. An app started from Finder has
   * no Nix on its PATH, so the core always passes it.
   */
  nixProgram?: () => Promise<string>;
}

/** Files and dirs the VM shares with the guest, all in the VM dir. */
export function sharedDirs(vmDir: string): { keys: string; xchg: string; certs: string } {
  return { keys: path.join(vmDir, 'keys'), xchg: path.join(vmDir, 'xchg'), certs: path.join(vmDir, 'certs') };
}

function virtfs(dir: string, tag: string, readOnly: boolean): string[] {
  return ['-virtfs', `local,path=${qemuOptionValue(dir)},security_model=none,mount_tag=${tag}${readOnly ? ',readonly=on' : ''}`];
}

function requirePiece(prepared: PreparedGuest, key: string): string {
  const value = prepared.extra[key];
  if (!value) throw new Error(`darwin-linux-builder needs the prepared ${key}`);
  return value;
}

/** Marker values go on the kernel command line: keep them to characters that cannot split it. */
function checkMarker(marker: string): string {
  if (!/^[A-Za-z0-9_-]{8,128}$/.test(marker)) throw new Error('The boot marker must be 8-128 letters, digits, - or _');
  return marker;
}

export function darwinLinuxBuilderLaunchPlan(input: LaunchInput, arch: MacArch = 'arm64'): LaunchPlan {
  checkResources(input.cpus, input.memoryMiB);
  const { kernel, initrd } = input.prepared;
  if (!kernel || !initrd) throw new Error('darwin-linux-builder needs a prepared kernel and initrd');
  const storeImage = requirePiece(input.prepared, 'storeImage');
  const kernelParams = requirePiece(input.prepared, 'kernelParams');
  const shares = sharedDirs(input.files.vmDir);
  const machine = arch === 'arm64' ? `virt,gic-version=2,accel=${input.accelerator}` : `q35,accel=${input.accelerator}`;
  const args = [
    '-name', DARWIN_BUILDER_VM_NAME,
    '-machine', machine,
    '-cpu', cpuModel(input.accelerator),
    '-smp', String(input.cpus),
    '-m', String(input.memoryMiB),
    '-kernel', kernel,
    '-initrd', initrd,
    '-append', `${kernelParams} panic=-1 ${BOOT_MARKER_PARAM}=${checkMarker(input.bootMarker)}`,
    ...headlessArgs(),
    '-device', 'virtio-rng-pci',
    ...userNetworkArgs(input.hostPort, 'virtio-net-pci'),
    // The root disk (ext4 "nixos"; the overlay's writable half lives here, so builds persist).
    '-drive', `file=${qemuOptionValue(input.files.diskImage)},if=none,id=root,format=qcow2,cache=writeback,werror=report`,
    '-device', 'virtio-blk-pci,drive=root,serial=root,bootindex=1',
    // The store image (erofs "nix-store"), the overlay's read-only half.
    '-drive', `file=${qemuOptionValue(storeImage)},if=none,id=nix-store,format=raw,read-only=on`,
    '-device', 'virtio-blk-pci,drive=nix-store,bootindex=2',
    ...virtfs(shares.keys, 'keys', true),
    ...virtfs(shares.xchg, 'xchg', false),
    ...virtfs(shares.xchg, 'shared', false),
    ...virtfs(shares.certs, 'certs', true),
    ...qmpArgs(input.files),
    ...serialConsoleArgs(input.files),
    ...pidFileArgs(input.files),
  ];
  return { command: input.qemuBinary, args, env: {}, cwd: input.files.vmDir };
}

/** CA bundles a Mac with Nix usually has; the first that exists is shared with the guest. */
const CA_BUNDLE_CANDIDATES = [
  process.env.NIX_SSL_CERT_FILE,
  '/etc/ssl/certs/ca-certificates.crt',
  '/nix/var/nix/profiles/default/etc/ssl/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
];

async function firstExisting(candidates: Array<string | undefined>): Promise<string | null> {
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      await fs.access(candidate);
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

/** The root disk as the VM module makes it: an ext4 filesystem labelled nixos, as qcow2. */
export async function createRootDisk(diskImage: string, diskGiB: number, mkfsExt4: string, qemuImg: string): Promise<void> {
  const raw = path.join(path.dirname(diskImage), `.${path.basename(diskImage)}.raw`);
  const temp = path.join(path.dirname(diskImage), `.${path.basename(diskImage)}.creating`);
  try {
    await execa(qemuImg, ['create', '-q', '-f', 'raw', raw, `${diskGiB}G`]);
    await execa(mkfsExt4, ['-q', '-L', 'nixos', raw]);
    await execa(qemuImg, ['convert', '-f', 'raw', '-O', 'qcow2', raw, temp]);
    await fs.chmod(temp, 0o600);
    await fs.rename(temp, diskImage);
  } finally {
    await fs.rm(raw, { force: true });
    await fs.rm(temp, { force: true });
  }
}

export function createDarwinLinuxBuilderProfile(options: DarwinLinuxBuilderOptions = {}): BuilderProfile {
  const arch: MacArch = options.arch ?? (process.arch === 'x64' ? 'x64' : 'arm64');
  return {
    name: 'darwin-linux-builder',
    qemuBinaryName: arch === 'arm64' ? 'qemu-system-aarch64' : 'qemu-system-x86_64',
    acceleratorCandidates: ['hvf'],
    sshUser: 'builder',
    readinessCommand: DARWIN_BUILDER_READINESS_COMMAND,
    hostKeyPolicy: { kind: 'fixed', publicKey: DARWIN_BUILDER_HOST_KEY, weakness: DARWIN_BUILDER_HOST_KEY_WEAKNESS },

    async prepare(input: PrepareInput): Promise<PreparedGuest> {
      if (process.platform !== 'darwin') {
        throw new BuilderBarError('not-supported', 'The darwin-linux-builder profile runs on macOS only.',
          'Use the linux-test profile on this machine.');
      }
      const nix = options.nixProgram ? await options.nixProgram() : await requireTool(NIX);
      const qemuImg = await requireTool(QEMU_IMG);
      input.report('Fetching nixpkgs\' darwin.linux-builder with Nix (the first time takes a while)…');
      const built = await execa(nix, nixBuildPiecesArgs(options.nixpkgs ?? DEFAULT_NIXPKGS_FLAKE), {
        reject: false, ...(input.signal ? { cancelSignal: input.signal } : {}),
      });
      if (built.exitCode !== 0) {
        const last = built.stderr.trim().split('\n').pop() ?? '';
        throw new BuilderBarError('vm-failed', `Nix could not build darwin.linux-builder: ${last}`,
          'Check that Nix works (`nix --version`) and that this Mac can reach its substituters; the app log has Nix\'s output.');
      }
      const pieces = built.stdout.trim().split('\n').pop() ?? '';
      const kernelParams = (await fs.readFile(path.join(pieces, 'kernel-params'), 'utf8')).trim();

      await ensurePrivateDir(input.files.vmDir);
      const shares = sharedDirs(input.files.vmDir);
      await ensurePrivateDir(shares.keys);
      await ensurePrivateDir(shares.xchg);
      await ensurePrivateDir(shares.certs);
      // The guest's sshd reads /var/keys/%u_ed25519.pub: the client key, for user builder.
      await writeFileAtomic(path.join(shares.keys, 'builder_ed25519.pub'), `${input.keys.clientPublicKey.trim()}\n`, { mode: 0o644 });
      const caBundle = await firstExisting(CA_BUNDLE_CANDIDATES);
      if (caBundle) await writeFileAtomic(path.join(shares.certs, 'ca-certificates.crt'), await fs.readFile(caBundle), { mode: 0o644 });

      if ((await readDiskVirtualSize(input.files.diskImage, qemuImg)) === null) {
        await createRootDisk(input.files.diskImage, input.diskGiB, path.join(pieces, 'mkfs.ext4'), qemuImg);
        input.report(`Created the builder's ${input.diskGiB} GiB disk.`);
      }
      const disk = await ensureDiskImage({ diskImage: input.files.diskImage, diskGiB: input.diskGiB, qemuImg });
      if (!disk.sizeMatches) input.report(diskSizeMismatchMessage(disk));
      return {
        kernel: path.join(pieces, 'kernel'),
        initrd: path.join(pieces, 'initrd'),
        extra: {
          pieces,
          storeImage: path.join(pieces, 'store.img'),
          kernelParams,
          diskVirtualSizeBytes: String(disk.virtualSizeBytes),
          diskSizeMatches: String(disk.virtualSizeBytes === input.diskGiB * GIB),
        },
      };
    },

    launchPlan: (input) => darwinLinuxBuilderLaunchPlan(input, arch),
  };
}

export const darwinLinuxBuilderProfile: BuilderProfile = createDarwinLinuxBuilderProfile();

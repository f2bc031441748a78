/**
 * `darwin-linux-builder`: nixpkgs' own `darwin.linux-builder` on macOS, run through nixpkgs' own
 * run script, as nix-darwin and `create-builder` run it. Builder Bar changes host-side options
 * only (resources/nix/linux-builder.nix), so the Linux closure is the binary cache's; what it
 * decides at start (127.0.0.1 port, accelerator, CPUs, memory, QMP, console, pid file, boot
 * marker) goes in through the script's environment (runScriptEnv.ts), the same way the linux-test
 * guest is started, so the integration tests run this code path too.
 *
 * The image is realised once per nixpkgs pin (builderImage.ts); the keys share is a store path
 * (keysShare.ts), so the guest's sshd sees root-owned keys. The guest's host key is the one
 * nixpkgs publishes (pinned, with the weakness shown) until the own-host-key image of the pin
 * exists (hostKeyBootstrap.ts builds it on the stock builder): from then on each start runs that
 * image and hands this install's host key in through fw_cfg, from a 0600 file in the VM dir.
 */
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { NixpkgsPin } from '../../../ipc/contract.js';
import { BuilderBarError } from '../../errors.js';
import { ELSEWHERE } from '../../stateDirProblem.js';
import { ensurePrivateDir } from '../../util/atomicWrite.js';
import type { BuilderProfile, HostKeyPolicy, KeysShare, LaunchInput, LaunchPlan, PreparedGuest, PrepareInput, VmFiles } from '../profile.js';
import { placeHostKeyForFwCfg } from '../vmFiles.js';
import { diskSizeMismatchMessage, ensureDiskImage, GIB, readDiskVirtualSize } from '../guest-image/diskImage.js';
import { QEMU_IMG, requireTool } from '../guest-image/hostTools.js';
import type { ToolFinder } from '../../host/toolSearchPath.js';
import { ensureBuilderImage, existingBuilderImage, type ArchiveUrl, type StoreView } from './builderImage.js';
import { addKeysShareToStore, keysShareOf } from './keysShare.js';
import { BOOT_MARKER_FROM_CMDLINE, runScriptEnv } from './runScriptEnv.js';

/** nixpkgs nixos/modules/profiles/keys/ssh_host_ed25519_key.pub (FACTS.md section 1). */
export const DARWIN_BUILDER_HOST_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb root@nixos';

export const DARWIN_BUILDER_HOST_KEY_WEAKNESS =
  'This builder\'s host key is the one nixpkgs publishes in its repository, so its private half is public: '
  + 'any program on this Mac that gets to listen on the builder\'s port first could pretend to be the builder. '
  + 'Builder Bar still pins that key (better than no check) and binds the port to 127.0.0.1 only, until the builder has a key of its own: '
  + '"Make its own host key" (builder-bar image own-host-key) builds the image again with a key made for this install, on the builder itself once the Nix wiring is applied.';

/** Until this install's own host key image exists: nixpkgs' published key, pinned, flagged weak. */
export const DARWIN_BUILDER_PUBLISHED_KEY_POLICY: HostKeyPolicy = {
  kind: 'fixed', publicKey: DARWIN_BUILDER_HOST_KEY, weakness: DARWIN_BUILDER_HOST_KEY_WEAKNESS,
};

export const DARWIN_BUILDER_READINESS_COMMAND = `${BOOT_MARKER_FROM_CMDLINE} && nix-store --version`;

/** The guest user nixpkgs' builder lets in (`/var/keys/builder_ed25519.pub`). */
export const DARWIN_BUILDER_USER = 'builder';

/**
 * nixpkgs runs the Apple Silicon builder on `virt,gic-version=2` (lib/qemu-common.nix): a GICv2
 * routes interrupts to at most 8 CPUs, and QEMU exits at start with more.
 */
export const GICV2_MAX_CPUS = 8;

/** The Mac's architecture decides the emulator and the machine. */
export type MacArch = 'arm64' | 'x64';

/** CPUs the builder really gets, and why when that is fewer than the setting asks. */
export function builderCpus(arch: MacArch, cpus: number): { cpus: number; capped: string | null } {
  if (arch === 'arm64' && cpus > GICV2_MAX_CPUS) {
    return {
      cpus: GICV2_MAX_CPUS,
      capped: `The builder runs with ${GICV2_MAX_CPUS} CPUs, not ${cpus}: nixpkgs' Apple Silicon builder uses QEMU's virt machine with a GICv2 interrupt controller, which serves at most ${GICV2_MAX_CPUS}.`,
    };
  }
  return { cpus, capped: null };
}

/** CA bundles a Mac with Nix usually has; upstream's script copies $NIX_SSL_CERT_FILE into the guest. */
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

/**
 * The root disk as the VM module makes it (an ext4 filesystem labelled nixos, as qcow2), made
 * here rather than by the script so its size is the setting's, not the image's.
 */
export async function createRootDisk(diskImage: string, diskGiB: number, mkfsExt4: string, qemuImg: string): Promise<void> {
  const raw = path.join(path.dirname(diskImage), `.${path.basename(diskImage)}.raw`);
  const temp = path.join(path.dirname(diskImage), `.${path.basename(diskImage)}.creating`);
  try {
    await execa(qemuImg, ['create', '-q', '-f', 'raw', raw, `${diskGiB}G`]);
    await execa(mkfsExt4, ['-q', '-F', '-L', 'nixos', raw]);
    await execa(qemuImg, ['convert', '-f', 'raw', '-O', 'qcow2', raw, temp]);
    await fs.chmod(temp, 0o600);
    await fs.rename(temp, diskImage);
  } finally {
    await fs.rm(raw, { force: true });
    await fs.rm(temp, { force: true });
  }
}

export interface DarwinNixPrograms {
  nixBuild: string;
  nixStore: string;
}

export interface DarwinLinuxBuilderOptions {
  arch?: MacArch;
  /** The settings' nixpkgs pin, read at each start. */
  pin: () => NixpkgsPin;
  /**
   * The Nix Builder Bar uses (the nixBinDir setting, then the environment and Nix's profile
   * directories): an app started from Finder has no Nix on its PATH, so the core always passes it.
   */
  nixPrograms: () => Promise<DarwinNixPrograms>;
  /** Tests only: run the Mac launch on another OS (the q35 variant under TCG on Linux). */
  platform?: NodeJS.Platform;
  archiveUrl?: ArchiveUrl;
  nixResourcesDir?: string;
  storeView?: StoreView;
  nixEnv?: Record<string, string>;
  /**
   * The host key the stock image of the pinned nixpkgs presents: nixpkgs' published one, unless
   * the nixpkgs is a stand-in that publishes its own (tests, where nixpkgs' private half is not
   * at hand to make a stock guest pass readiness).
   */
  publishedHostKey?: string;
  /** Where qemu-img is found: the core's search path (an app from Finder has Homebrew's nowhere else). */
  tools?: Pick<ToolFinder, 'find'>;
}

/**
 * Why the VM dir cannot hold nixpkgs' builder, or null. Its run script (nixos/modules/
 * virtualisation/qemu-vm.nix) writes `-drive …,file="$NIX_DISK_IMAGE"` (after `readlink -f`, so
 * always the absolute path) and `-virtfs local,path="$TMPDIR"/xchg,…` (and `store.img`, `certs`
 * likewise) without doubling commas, as QEMU's option syntax needs: a comma in the path splits the
 * option and QEMU exits at once with "Invalid parameter". (The linux-test guest's own script
 * escapes them, so only this profile has the limit.) Spaces are safe: the script quotes them.
 */
export function vmDirProblem(vmDir: string): string | null {
  if (vmDir.includes(',')) {
    return `The builder's directory ${vmDir} contains a comma: nixpkgs' run script hands its disk and shared folders to QEMU without escaping commas, so QEMU would refuse to start.`;
  }
  return null;
}

function refuseVmDir(problem: string): BuilderBarError {
  return new BuilderBarError('invalid-request', problem, `Use a state dir whose path has no comma. ${ELSEWHERE}`);
}

function requirePiece(prepared: PreparedGuest, key: string): string {
  const value = prepared.extra[key];
  if (!value) throw new Error(`darwin-linux-builder needs the prepared ${key}`);
  return value;
}

export function darwinLinuxBuilderLaunchPlan(input: LaunchInput, arch: MacArch = 'arm64'): LaunchPlan {
  const { cpus } = builderCpus(arch, input.cpus);
  const env = runScriptEnv({
    accelerator: input.accelerator,
    cpus,
    memoryMiB: input.memoryMiB,
    hostPort: input.hostPort,
    vmDir: input.files.vmDir,
    diskImage: input.files.diskImage,
    keysDir: requirePiece(input.prepared, 'keys'),
    bootMarker: input.bootMarker,
    withHostKey: input.prepared.extra.ownHostKey === 'true',
  });
  const caBundle = input.prepared.extra.caBundle;
  return {
    command: requirePiece(input.prepared, 'runScript'),
    args: [],
    env: { ...env, ...(caBundle ? { NIX_SSL_CERT_FILE: caBundle } : {}) },
    cwd: input.files.vmDir,
  };
}

/** The share as readiness examines it, so a key sshd refuses for its owner fails at once. */
export function darwinLinuxBuilderKeysShare(files: VmFiles): KeysShare {
  return keysShareOf(files.vmDir, DARWIN_BUILDER_USER);
}

export function createDarwinLinuxBuilderProfile(options: DarwinLinuxBuilderOptions): BuilderProfile {
  const arch: MacArch = options.arch ?? (process.arch === 'x64' ? 'x64' : 'arm64');
  const platform = options.platform ?? process.platform;
  const qemuBinaryName = arch === 'arm64' ? 'qemu-system-aarch64' : 'qemu-system-x86_64';
  const published: HostKeyPolicy = options.publishedHostKey === undefined
    ? DARWIN_BUILDER_PUBLISHED_KEY_POLICY
    : { kind: 'fixed', publicKey: options.publishedHostKey, weakness: DARWIN_BUILDER_HOST_KEY_WEAKNESS };
  return {
    name: 'darwin-linux-builder',
    qemuBinaryName,
    qemuFromImage: true,
    acceleratorCandidates: ['hvf'],
    sshUser: DARWIN_BUILDER_USER,
    readinessCommand: DARWIN_BUILDER_READINESS_COMMAND,
    hostKeyPolicy: published,
    // No `controlPort`: this profile boots cold at every start and cannot have its clock set.
    // nixpkgs' NixOS guest has no snapshot line before it mounts the store (saving it would mean
    // restoring RAM with /nix mounted against a disk that moved on) and no port to take this
    // start's marker or the host's time. Snapshots under hvf have not run anywhere.
    controlPort: false,
    // This install's own key as soon as the pin's own-host-key image is there, without Nix.
    hostKeyPolicyNow: async (files) => (
      (await existingBuilderImage(files.vmDir, options.pin(), options.storeView, 'own-host-key')) ? { kind: 'per-install' } : published
    ),

    async prepare(input: PrepareInput): Promise<PreparedGuest> {
      if (platform !== 'darwin') {
        throw new BuilderBarError('not-supported', 'The darwin-linux-builder profile runs on macOS only.',
          'Use the linux-test profile on this machine.');
      }
      const problem = vmDirProblem(input.files.vmDir);
      if (problem) throw refuseVmDir(problem);
      const nix = await options.nixPrograms();
      const qemuImg = await requireTool(QEMU_IMG, options.tools);
      await ensurePrivateDir(input.files.vmDir);
      // The script resolves symlinks (`readlink -f`): a link to a directory with a comma fails the same way.
      const resolved = vmDirProblem(await fs.realpath(input.files.vmDir));
      if (resolved) throw refuseVmDir(resolved);
      // The start's pinned key decided the image: this install's key means the own-host-key image.
      const ownHostKey = input.keys.hostPrivateKey;
      await placeHostKeyForFwCfg(input.files.vmDir, ownHostKey);
      const image = await ensureBuilderImage({
        variant: ownHostKey !== null ? 'own-host-key' : 'stock',
        vmDir: input.files.vmDir,
        pin: options.pin(),
        nixBuild: nix.nixBuild,
        report: input.report,
        ...(options.archiveUrl ? { archiveUrl: options.archiveUrl } : {}),
        ...(options.nixResourcesDir ? { nixResourcesDir: options.nixResourcesDir } : {}),
        ...(options.storeView ? { storeView: options.storeView } : {}),
        ...(options.nixEnv ? { env: options.nixEnv } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
      });
      const keys = await addKeysShareToStore({
        vmDir: input.files.vmDir,
        nixStore: nix.nixStore,
        user: DARWIN_BUILDER_USER,
        clientPublicKey: input.keys.clientPublicKey,
        ...(options.nixEnv ? { env: options.nixEnv } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
      });
      if ((await readDiskVirtualSize(input.files.diskImage, qemuImg)) === null) {
        const view = options.storeView ?? ((p: string) => p);
        await createRootDisk(input.files.diskImage, input.diskGiB, view(image.mkfsExt4), qemuImg);
        input.report(`Created the builder's ${input.diskGiB} GiB disk.`);
      }
      const disk = await ensureDiskImage({ diskImage: input.files.diskImage, diskGiB: input.diskGiB, qemuImg });
      if (!disk.sizeMatches) input.report(diskSizeMismatchMessage(disk));
      const caBundle = await firstExisting(CA_BUNDLE_CANDIDATES);
      return {
        kernel: null,
        initrd: null,
        extra: {
          image: image.storePath,
          runScript: image.runScript,
          qemuBinary: path.join(image.qemuBinDir, qemuBinaryName),
          keys,
          ...(caBundle ? { caBundle } : {}),
          diskVirtualSizeBytes: String(disk.virtualSizeBytes),
          diskSizeMatches: String(disk.virtualSizeBytes === input.diskGiB * GIB),
          ownHostKey: String(ownHostKey !== null),
        },
      };
    },

    launchPlan: (input) => darwinLinuxBuilderLaunchPlan(input, arch),
    keysShare: darwinLinuxBuilderKeysShare,
  };
}

/**
 * `linux-test`: the project's own small x86_64 Linux builder, built from this host's Debian
 * packages (resources/guest), in the shape of nixpkgs' darwin.linux-builder so that what the
 * integration tests run here is what the Mac profile runs:
 *
 *   - started by its run script (`run-linux-test-vm` in the image dir), which honours the
 *     environment of nixpkgs' NixOS VM script (runScriptEnv.ts); Builder Bar never writes this
 *     guest's QEMU command line itself;
 *   - OpenSSH with its default StrictModes, user `builder` (not root) logging in with the key
 *     the `keys` share holds (/var/keys/builder_ed25519.pub), handed in as create-builder does:
 *     a directory added to the Nix store, so the guest sees root-owned files;
 *   - a nix-daemon in the guest owning the store and trusting `builder`, so delegated builds
 *     (`nix-store --serve --write`, `nix-daemon --stdio`) go through the daemon.
 *
 * Unlike nixpkgs' builder, every install has its own host key, handed in through QEMU's fw_cfg
 * from a 0600 file in the VM dir, and this boot's marker travels on the kernel command line.
 */
import { BuilderBarError } from '../../errors.js';
import { environmentNix } from '../../nix/nixInstallation.js';
import { ensurePrivateDir } from '../../util/atomicWrite.js';
import type { BuilderProfile, KeysShare, LaunchInput, LaunchPlan, PreparedGuest, PrepareInput, VmFiles } from '../profile.js';
import { diskSizeMismatchMessage, ensureDiskImage } from '../guest-image/diskImage.js';
import { QEMU_IMG, requireTool } from '../guest-image/hostTools.js';
import type { ToolFinder } from '../../host/toolSearchPath.js';
import { ensureLinuxTestImage } from '../guest-image/linuxTestImage.js';
import { placeHostKeyForFwCfg } from '../vmFiles.js';
import { addKeysShareWithVisibleStore, keysShareOf } from './keysShare.js';
import { runScriptEnv } from './runScriptEnv.js';

/** The guest's ssh user, as in nixpkgs' nix-builder-vm.nix. */
export const LINUX_TEST_SSH_USER = 'builder';

/** Where the guest's boot script keeps this start's marker, once the host's `go` gave it (resources/guest). */
export const GUEST_BOOT_MARKER_FILE = '/run/builder-bar/boot-marker';

/** Where the guest's nix-daemon listens; `builder` reaches the store only through it. */
export const GUEST_NIX_DAEMON_SOCKET = '/nix/var/nix/daemon-socket/socket';

/**
 * First line: the marker this start sent over the control port (snapshot/guestControl.ts), which
 * the guest's boot script keeps in /run/builder-bar/boot-marker: a restored guest's kernel
 * command line is the snapshot's, so only this proves the guest of this start answered. Second:
 * Nix's version, once the guest's nix-daemon answers at its socket under /nix (the daemon listens
 * in /run from before the snapshot line; the guest binds that directory here once the /nix disk
 * is mounted, and a delegated build from `builder` goes through it). The version is the image's
 * record of the Nix binary it holds (resources/guest), so no Nix starts here: under TCG a Nix
 * start costs 0.6 s of the guest's vCPU. Waits up to 5 s for the socket; without it, says so on
 * stderr and fails. Shell builtins only (`read`, not `cat`) while nothing waits: each process
 * the guest starts is emulated CPU time inside the restore's readiness.
 */
export const LINUX_TEST_READINESS_COMMAND =
  `read -r m < ${GUEST_BOOT_MARKER_FILE} && echo "$m" && { n=0; while [ ! -S ${GUEST_NIX_DAEMON_SOCKET} ] && [ $n -lt 100 ]; do usleep 50000; n=$((n+1)); done; `
  + `if [ -S ${GUEST_NIX_DAEMON_SOCKET} ]; then read -r v < /etc/builder-bar/nix-version; echo "$v"; else echo 'the nix-daemon does not listen on ${GUEST_NIX_DAEMON_SOCKET}' >&2; exit 1; fi; }`;

export interface LinuxTestProfileOptions {
  guestResourcesDir?: string;
  /** A specific /boot/vmlinuz-* for the guest; default the newest. */
  kernel?: string;
  /**
   * The `nix-store` programs that may add the keys share to the store, best first: the Nix
   * Builder Bar uses (the nixBinDir setting, then the environment and Nix's profile directories:
   * NixLocator); a later one only when an earlier one keeps its store where this machine's QEMU
   * cannot read it. Default: the environment's Nix.
   */
  nixStorePrograms?: () => Promise<string[]>;
  /** Where qemu-img is found; default: this process's PATH and Nix's profile directories. */
  tools?: Pick<ToolFinder, 'find'>;
}

function requireExtra(prepared: PreparedGuest, key: string): string {
  const value = prepared.extra[key];
  if (!value) throw new Error(`linux-test needs the prepared ${key}`);
  return value;
}

/** Its run script with the environment nixpkgs' script reads; runs in the VM dir. */
export function linuxTestLaunchPlan(input: LaunchInput): LaunchPlan {
  return {
    command: requireExtra(input.prepared, 'runScript'),
    args: [],
    env: runScriptEnv({
      accelerator: input.accelerator,
      cpus: input.cpus,
      memoryMiB: input.memoryMiB,
      hostPort: input.hostPort,
      vmDir: input.files.vmDir,
      diskImage: input.files.diskImage,
      keysDir: requireExtra(input.prepared, 'keysDir'),
      bootMarker: input.bootMarker,
      withHostKey: true,
      withControlPort: true,
      incoming: input.incoming ?? false,
    }),
    cwd: input.files.vmDir,
  };
}

/** The share as readiness examines it: the VM dir's GC-root link to the store path. */
export function linuxTestKeysShare(files: VmFiles): KeysShare {
  return keysShareOf(files.vmDir, LINUX_TEST_SSH_USER);
}

export function createLinuxTestProfile(options: LinuxTestProfileOptions = {}): BuilderProfile {
  const nixStorePrograms = options.nixStorePrograms ?? (async () => [(await environmentNix().require()).programs['nix-store']]);
  return {
    name: 'linux-test',
    qemuBinaryName: 'qemu-system-x86_64',
    acceleratorCandidates: process.platform === 'darwin' ? ['hvf'] : process.platform === 'linux' ? ['kvm'] : [],
    sshUser: LINUX_TEST_SSH_USER,
    readinessCommand: LINUX_TEST_READINESS_COMMAND,
    hostKeyPolicy: { kind: 'per-install' },
    controlPort: true,

    async prepare(input: PrepareInput): Promise<PreparedGuest> {
      if (!input.keys.hostPrivateKey) {
        throw new BuilderBarError('internal', 'linux-test needs this install\'s host private key to boot.');
      }
      await ensurePrivateDir(input.files.vmDir);
      // The image, the disk and the keys share do not depend on each other.
      const [image, disk, keysDir] = await Promise.all([
        ensureLinuxTestImage({
          imagesDir: input.cacheDir,
          report: input.report,
          ...(options.guestResourcesDir ? { guestResourcesDir: options.guestResourcesDir } : {}),
          ...(options.kernel ? { kernel: options.kernel } : {}),
          ...(input.signal ? { signal: input.signal } : {}),
        }),
        requireTool(QEMU_IMG, options.tools).then((qemuImg) => ensureDiskImage({ diskImage: input.files.diskImage, diskGiB: input.diskGiB, qemuImg })),
        nixStorePrograms().then((nixStores) => addKeysShareWithVisibleStore(nixStores, {
          vmDir: input.files.vmDir,
          user: LINUX_TEST_SSH_USER,
          clientPublicKey: input.keys.clientPublicKey,
          ...(input.signal ? { signal: input.signal } : {}),
        }, input.report)),
        placeHostKeyForFwCfg(input.files.vmDir, input.keys.hostPrivateKey),
      ]);
      if (disk.created) input.report(`Created the builder's ${input.diskGiB} GiB disk for /nix.`);
      if (!disk.sizeMatches) input.report(diskSizeMismatchMessage(disk));
      return {
        kernel: image.kernel,
        initrd: image.initramfs,
        extra: {
          runScript: image.runScript,
          keysDir,
          imageDir: image.dir,
          imageHash: image.hash,
          diskVirtualSizeBytes: String(disk.virtualSizeBytes),
          diskSizeMatches: String(disk.sizeMatches),
        },
      };
    },

    launchPlan: linuxTestLaunchPlan,
    keysShare: linuxTestKeysShare,
  };
}

export const linuxTestProfile: BuilderProfile = createLinuxTestProfile();

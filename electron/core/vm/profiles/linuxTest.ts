/**
 * `linux-test`: the project's own small x86_64 Linux builder, built from this host's Debian
 * packages (resources/guest). It runs everywhere QEMU does and is what the integration tests
 * boot. Every install has its own host key, handed to the guest at each boot together with the
 * client's authorized key and the boot marker (an extra cpio appended to the initramfs).
 * The ssh user is root: the guest exists only to run Nix builds (`nix-store --serve`,
 * `nix-daemon --stdio`) and its /nix is writable by root alone.
 */
import path from 'node:path';
import { BuilderBarError } from '../../errors.js';
import { ensurePrivateDir } from '../../util/atomicWrite.js';
import type { BuilderProfile, LaunchInput, LaunchPlan, PreparedGuest, PrepareInput } from '../profile.js';
import { writeBootInitrd } from '../guest-image/bootInitrd.js';
import { diskSizeMismatchMessage, ensureDiskImage } from '../guest-image/diskImage.js';
import { ensureLinuxTestImage } from '../guest-image/linuxTestImage.js';
import {
  checkResources, cpuModel, headlessArgs, pidFileArgs, qmpArgs, serialConsoleArgs, userNetworkArgs, virtioDiskArgs,
} from './qemuArgs.js';

export const LINUX_TEST_VM_NAME = 'builder-bar-linux-test';
export const BOOT_INITRD_FILE = 'initrd-boot.img';

/**
 * console on the first serial port (the console log); panic=-1 reboots at once on a kernel
 * panic, which -no-reboot turns into QEMU exiting, so the supervisor sees a crash instead of a
 * hung guest; quiet keeps TCG boots from spending seconds printing to the emulated UART.
 */
export const LINUX_TEST_KERNEL_PARAMS = 'console=ttyS0 panic=-1 quiet';

/**
 * First line: the marker (proves this boot answered); second: Nix's version (Nix works). The
 * guest's boot runs `nix-store --version` once in the background (resources/guest/.../boot) and
 * leaves its answer in /run/builder-bar, so this waits up to 5 s for that attempt to end and
 * reads it, instead of starting nix-store again after the login (0.6 s under TCG). If the
 * attempt printed nothing, nix-store runs here and its error is what readiness reports.
 */
export const LINUX_TEST_READINESS_COMMAND =
  'cat /etc/builder-bar/boot-marker && { n=0; while [ ! -e /run/builder-bar/nix-checked ] && [ $n -lt 100 ]; do usleep 50000; n=$((n+1)); done; ' +
  'cat /run/builder-bar/nix-version 2>/dev/null || nix-store --version; }';

export interface LinuxTestProfileOptions {
  guestResourcesDir?: string;
  /** A specific /boot/vmlinuz-* for the guest; default the newest. */
  kernel?: string;
}

export function linuxTestLaunchPlan(input: LaunchInput): LaunchPlan {
  checkResources(input.cpus, input.memoryMiB);
  const { kernel, initrd } = input.prepared;
  if (!kernel || !initrd) throw new Error('linux-test needs a prepared kernel and initrd');
  const args = [
    '-name', LINUX_TEST_VM_NAME,
    '-machine', `q35,accel=${input.accelerator}`,
    '-cpu', cpuModel(input.accelerator),
    '-smp', String(input.cpus),
    '-m', String(input.memoryMiB),
    '-kernel', kernel,
    '-initrd', initrd,
    '-append', LINUX_TEST_KERNEL_PARAMS,
    ...headlessArgs(),
    ...userNetworkArgs(input.hostPort, 'virtio-net-pci'),
    ...virtioDiskArgs(input.files.diskImage, { id: 'nix', format: 'qcow2' }),
    // Entropy from the host, so sshd's first getrandom() does not wait on an idle guest.
    '-device', 'virtio-rng-pci',
    ...qmpArgs(input.files),
    ...serialConsoleArgs(input.files),
    ...pidFileArgs(input.files),
  ];
  return { command: input.qemuBinary, args, env: {}, cwd: input.files.vmDir };
}

export function createLinuxTestProfile(options: LinuxTestProfileOptions = {}): BuilderProfile {
  return {
    name: 'linux-test',
    qemuBinaryName: 'qemu-system-x86_64',
    acceleratorCandidates: process.platform === 'darwin' ? ['hvf'] : process.platform === 'linux' ? ['kvm'] : [],
    sshUser: 'root',
    readinessCommand: LINUX_TEST_READINESS_COMMAND,
    hostKeyPolicy: { kind: 'per-install' },

    async prepare(input: PrepareInput): Promise<PreparedGuest> {
      if (!input.keys.hostPrivateKey) {
        throw new BuilderBarError('internal', 'linux-test needs this install\'s host private key to boot.');
      }
      await ensurePrivateDir(input.files.vmDir);
      const hostPrivateKey = input.keys.hostPrivateKey;
      const initrd = path.join(input.files.vmDir, BOOT_INITRD_FILE);
      // The image (and this boot's initrd) and the disk do not depend on each other: on the way
      // to ready, one waits for the other only at the end.
      const [image, disk] = await Promise.all([
        ensureLinuxTestImage({
          imagesDir: input.cacheDir,
          report: input.report,
          ...(options.guestResourcesDir ? { guestResourcesDir: options.guestResourcesDir } : {}),
          ...(options.kernel ? { kernel: options.kernel } : {}),
          ...(input.signal ? { signal: input.signal } : {}),
        }).then(async (built) => {
          await writeBootInitrd(built.initramfs, initrd, { clientPublicKey: input.keys.clientPublicKey, hostPrivateKey, bootMarker: input.bootMarker });
          return built;
        }),
        ensureDiskImage({ diskImage: input.files.diskImage, diskGiB: input.diskGiB }),
      ]);
      if (disk.created) input.report(`Created the builder's ${input.diskGiB} GiB disk for /nix.`);
      if (!disk.sizeMatches) input.report(diskSizeMismatchMessage(disk));
      return {
        kernel: image.kernel,
        initrd,
        extra: {
          imageDir: image.dir,
          imageHash: image.hash,
          diskVirtualSizeBytes: String(disk.virtualSizeBytes),
          diskSizeMatches: String(disk.sizeMatches),
        },
      };
    },

    launchPlan: linuxTestLaunchPlan,
  };
}

export const linuxTestProfile: BuilderProfile = createLinuxTestProfile();

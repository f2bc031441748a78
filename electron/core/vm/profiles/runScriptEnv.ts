/**
 * The one interface every builder is started through: nixpkgs' NixOS VM run script
 * (`run-<name>-vm`, from nixos/modules/virtualisation/qemu-vm.nix) and the environment it
 * honours. Both profiles launch a script of that shape: on a Mac the script nixpkgs generates for
 * `darwin.linux-builder`, here the linux-test guest's own (resources/guest). Builder Bar never
 * writes the guest's QEMU command line itself; it only sets what upstream's script reads:
 *
 *   NIX_DISK_IMAGE      the persistent root disk (the script creates it when missing)
 *   TMPDIR, USE_TMPDIR  the working directory: the script `cd`s there, so every file of the
 *                       running VM (QMP socket, console log, pid file) is named relative to it,
 *                       and Builder Bar's own options never carry the state dir's path
 *   KEYS                the directory shared at /var/keys over 9p (nixpkgs: security_model=none
 *                       until 24.05, mapped-xattr since, NixOS/nixpkgs#287821; either way a file
 *                       without virtfs xattrs shows the guest the host's owner, so it must be
 *                       root-owned, e.g. a Nix store path)
 *   QEMU_NET_OPTS       appended to `-netdev user,…`: the ssh forward, bound to 127.0.0.1 only
 *   QEMU_KERNEL_PARAMS  appended to the kernel command line: this boot's marker
 *   QEMU_OPTS           appended to QEMU's arguments, word-split by the script's shell: the
 *                       accelerator the probe chose, CPUs and memory (QEMU takes the last -smp,
 *                       -m and `-machine accel=`, measured with 7.2), QMP, the serial console to
 *                       a file, the pid file, no monitor, exit instead of reboot
 *
 * nixpkgs' script itself still hands NIX_DISK_IMAGE and TMPDIR to QEMU's option parser with
 * commas unescaped (`-drive …,file="$NIX_DISK_IMAGE"`, `-virtfs local,path="$TMPDIR"/xchg,…`), so
 * the Mac profile refuses a VM dir with a comma (darwinLinuxBuilder.ts, vmDirProblem).
 *
 * Chosen at start, not baked into the script: the port (a port in use must not mean a new
 * image), CPUs and memory (a setting changed must not mean evaluating nixpkgs again).
 */
import type { AcceleratorName } from '../profile.js';
import { RUN_DIR_FILES } from '../vmFiles.js';
import { checkResources } from './qemuArgs.js';

/** fw_cfg entry the guest reads its host key from (/sys/firmware/qemu_fw_cfg/by_name/…/raw). */
export const HOST_KEY_FW_CFG_NAME = 'opt/builder-bar/ssh_host_ed25519_key';

/** Kernel parameter carrying this boot's marker; readiness reads it back from /proc/cmdline. */
export const BOOT_MARKER_PARAM = 'builder_bar.boot_marker';

export interface RunScriptEnvInput {
  accelerator: AcceleratorName;
  cpus: number;
  memoryMiB: number;
  /** Host port forwarded to guest port 22, always on 127.0.0.1. */
  hostPort: number;
  /** The VM's working directory (TMPDIR); QEMU's runtime files live there under RUN_DIR_FILES. */
  vmDir: string;
  diskImage: string;
  /** The keys share (/var/keys in the guest): public keys only, root-owned. */
  keysDir: string;
  bootMarker: string;
  /** Hand RUN_DIR_FILES.hostKey (in vmDir) to the guest through fw_cfg. */
  withHostKey: boolean;
  /**
   * Builder Bar's control port (guest/control.ts): a virtio-serial port on RUN_DIR_FILES.controlSocket,
   * and a VM generation ID so a restored guest's kernel reseeds its random numbers at once.
   */
  withControlPort?: boolean;
  /** Wait for a saved state on QMP (`migrate-incoming`) instead of running the guest: a restore. */
  incoming?: boolean;
}

/** Marker values go on the kernel command line: keep them to characters that cannot split it. */
export function checkBootMarker(marker: string): string {
  if (!/^[A-Za-z0-9_-]{8,128}$/.test(marker)) throw new Error('The boot marker must be 8-128 letters, digits, - or _');
  return marker;
}

/** QEMU_OPTS is word-split and glob-expanded by the script's shell: each word must survive both. */
function shellWord(word: string): string {
  if (!/^[A-Za-z0-9_.,:=/+-]+$/.test(word)) throw new Error(`Unsafe word for QEMU_OPTS: ${JSON.stringify(word)}`);
  return word;
}

export function runScriptQemuOpts(input: RunScriptEnvInput): string[] {
  checkResources(input.cpus, input.memoryMiB);
  return [
    '-machine', `accel=${input.accelerator}`,
    '-smp', String(input.cpus),
    '-m', String(input.memoryMiB),
    // Upstream's script passes -nographic (serial and monitor on stdio); QEMU runs detached here,
    // so the console goes to a file the log hub tails and there is no monitor at all.
    '-monitor', 'none',
    '-chardev', `file,id=builder-bar-console,path=${RUN_DIR_FILES.consoleLog},append=on`,
    '-serial', 'chardev:builder-bar-console',
    '-qmp', `unix:${RUN_DIR_FILES.qmpSocket},server=on,wait=off`,
    '-pidfile', RUN_DIR_FILES.pidFile,
    '-no-reboot',
    ...(input.withHostKey ? ['-fw_cfg', `name=${HOST_KEY_FW_CFG_NAME},file=${RUN_DIR_FILES.hostKey}`] : []),
    ...(input.withControlPort ? controlPortArgs() : []),
    // -S: a restored guest runs only once its state was checked against its record.
    ...(input.incoming ? ['-incoming', 'defer', '-S'] : []),
  ].map(shellWord);
}

/** The port's name in the guest (its sysfs `name` under /sys/class/virtio-ports), as resources/guest's control-port reads it. */
export const CONTROL_PORT_NAME = 'org.builderbar.control';

/**
 * The same devices in the same order at every start: a restore must find the devices the saved
 * state was taken with. vmgenid's `auto` GUID is new in every QEMU, and the guest kernel (Linux
 * 5.18+, CONFIG_VMGENID) reseeds its RNG when it changes: two restores of one snapshot never
 * share ssh session keys.
 */
function controlPortArgs(): string[] {
  return [
    '-chardev', `socket,id=builder-bar-control,path=${RUN_DIR_FILES.controlSocket},server=on,wait=off`,
    '-device', 'virtio-serial-pci,id=builder-bar-serial',
    '-device', `virtserialport,bus=builder-bar-serial.0,chardev=builder-bar-control,name=${CONTROL_PORT_NAME}`,
    '-device', 'vmgenid,guid=auto',
    '-qmp', `unix:${RUN_DIR_FILES.snapshotQmpSocket},server=on,wait=off`,
  ];
}

export function runScriptEnv(input: RunScriptEnvInput): Record<string, string> {
  if (!Number.isInteger(input.hostPort) || input.hostPort < 1 || input.hostPort > 65535) throw new RangeError(`Invalid host port ${input.hostPort}`);
  return {
    NIX_DISK_IMAGE: input.diskImage,
    TMPDIR: input.vmDir,
    USE_TMPDIR: '1',
    KEYS: input.keysDir,
    QEMU_NET_OPTS: `hostfwd=tcp:127.0.0.1:${input.hostPort}-:22`,
    // panic=-1 reboots at once on a kernel panic, which -no-reboot turns into QEMU exiting.
    QEMU_KERNEL_PARAMS: `panic=-1 ${BOOT_MARKER_PARAM}=${checkBootMarker(input.bootMarker)}`,
    QEMU_OPTS: runScriptQemuOpts(input).join(' '),
  };
}

/** The readiness command's first line: this boot's marker, read back from the kernel command line. */
export const BOOT_MARKER_FROM_CMDLINE = `sed -n 's/.*${BOOT_MARKER_PARAM.replace('.', '\\.')}=\\([^ ]*\\).*/\\1/p' /proc/cmdline`;

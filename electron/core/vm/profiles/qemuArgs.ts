/**
 * QEMU command-line pieces both profiles share. Each one is security- or robustness-relevant
 * and unit-tested: the port forward binds 127.0.0.1 only (nixpkgs' builder binds every
 * interface), QMP is a unix socket in the state dir, the serial console goes to a file (QEMU
 * runs detached and must outlive the core, so no pipe), and `-nodefaults` leaves no HMP
 * monitor or stray devices behind.
 */
import type { AcceleratorName, VmFiles } from '../profile.js';

/**
 * QEMU splits option values at commas; a literal comma is written twice. State-dir paths come
 * from the user's home, so every path inside an option string goes through this.
 */
export function qemuOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

/** `-nic user,...` forwarding 127.0.0.1:hostPort to the guest's sshd. */
export function userNetworkArgs(hostPort: number, model: string): string[] {
  if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535) throw new RangeError(`Invalid host port ${hostPort}`);
  return ['-nic', `user,model=${model},hostfwd=tcp:127.0.0.1:${hostPort}-:22`];
}

export function qmpArgs(files: VmFiles): string[] {
  return ['-qmp', `unix:${qemuOptionValue(files.qmpSocket)},server=on,wait=off`];
}

/** The serial console appended to the console log (append: the log hub tails it by offset). */
export function serialConsoleArgs(files: VmFiles): string[] {
  return ['-chardev', `file,id=console,path=${qemuOptionValue(files.consoleLog)},append=on`, '-serial', 'chardev:console'];
}

/** No display, no default devices (no HMP monitor, VGA, floppy), exit instead of rebooting. */
export function headlessArgs(): string[] {
  return ['-nodefaults', '-display', 'none', '-no-reboot'];
}

export function pidFileArgs(files: VmFiles): string[] {
  return ['-pidfile', files.pidFile];
}

export function virtioDiskArgs(image: string, options: { id: string; readOnly?: boolean; format: 'qcow2' | 'raw' }): string[] {
  const readOnly = options.readOnly ? ',read-only=on' : '';
  return ['-drive', `file=${qemuOptionValue(image)},if=virtio,format=${options.format},id=${options.id}${readOnly}`];
}

/** `host` passes the real CPU through when a hypervisor runs the guest; TCG emulates `max`. */
export function cpuModel(accelerator: AcceleratorName): string {
  return accelerator === 'tcg' ? 'max' : 'host';
}

export function checkResources(cpus: number, memoryMiB: number): void {
  if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`Invalid CPU count ${cpus}`);
  if (!Number.isInteger(memoryMiB) || memoryMiB < 256) throw new RangeError(`Invalid memory size ${memoryMiB} MiB`);
}

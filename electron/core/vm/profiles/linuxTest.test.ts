import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LaunchInput, VmFiles } from '../profile.js';
import { LINUX_TEST_READINESS_COMMAND, linuxTestLaunchPlan, linuxTestProfile } from './linuxTest.js';

const files: VmFiles = {
  vmDir: '/state/vm',
  qmpSocket: '/state/vm/qmp.sock',
  consoleLog: '/state/vm/console.log',
  qemuLog: '/state/vm/qemu.log',
  pidFile: '/state/vm/qemu.pid',
  diskImage: '/state/vm/nix-disk.qcow2',
};

function input(overrides: Partial<LaunchInput> = {}): LaunchInput {
  return {
    qemuBinary: '/usr/bin/qemu-system-x86_64',
    accelerator: 'tcg',
    cpus: 2,
    memoryMiB: 1024,
    hostPort: 31022,
    files,
    prepared: { kernel: '/state/images/linux-test-abc/vmlinuz', initrd: '/state/vm/initrd-boot.img', extra: {} },
    bootMarker: 'marker',
    ...overrides,
  };
}

/** The value following a flag; fails the test when the flag is absent or repeated. */
function valueOf(args: string[], flag: string): string {
  const at = args.flatMap((arg, index) => (arg === flag ? [index] : []));
  expect(at, `${flag} appears exactly once`).toHaveLength(1);
  return args[(at[0] ?? 0) + 1] ?? '';
}

describe('linux-test launch plan', () => {
  it('runs the given QEMU binary from the VM dir with no extra environment', () => {
    const plan = linuxTestLaunchPlan(input());
    expect(plan.command).toBe('/usr/bin/qemu-system-x86_64');
    expect(plan.cwd).toBe('/state/vm');
    expect(plan.env).toEqual({});
  });

  it('forwards the ssh port on 127.0.0.1 only, never on all interfaces', () => {
    const args = linuxTestLaunchPlan(input({ hostPort: 40123 })).args;
    expect(valueOf(args, '-nic')).toBe('user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:40123-:22');
    expect(args.join(' ')).not.toMatch(/hostfwd=tcp::|hostfwd=tcp:0\.0\.0\.0|-netdev/);
  });

  it('puts QMP on the state dir socket, console and pid file in the VM dir', () => {
    const args = linuxTestLaunchPlan(input()).args;
    expect(valueOf(args, '-qmp')).toBe('unix:/state/vm/qmp.sock,server=on,wait=off');
    expect(valueOf(args, '-chardev')).toBe('file,id=console,path=/state/vm/console.log,append=on');
    expect(valueOf(args, '-serial')).toBe('chardev:console');
    expect(valueOf(args, '-pidfile')).toBe('/state/vm/qemu.pid');
  });

  it('stays in the foreground with no monitor, display or default devices, and exits on reboot', () => {
    const args = linuxTestLaunchPlan(input()).args;
    expect(args).not.toContain('-daemonize');
    expect(args).not.toContain('-monitor');
    expect(args).not.toContain('-nographic'); // would put a monitor on stdio
    expect(args).toContain('-nodefaults');
    expect(valueOf(args, '-display')).toBe('none');
    expect(args).toContain('-no-reboot');
  });

  it('emulates with tcg by default and passes the host CPU through under kvm', () => {
    const tcg = linuxTestLaunchPlan(input()).args;
    expect(valueOf(tcg, '-machine')).toBe('q35,accel=tcg');
    expect(valueOf(tcg, '-cpu')).toBe('max');
    const kvm = linuxTestLaunchPlan(input({ accelerator: 'kvm' })).args;
    expect(valueOf(kvm, '-machine')).toBe('q35,accel=kvm');
    expect(valueOf(kvm, '-cpu')).toBe('host');
  });

  it('gives the guest the cpus and memory from the settings', () => {
    const args = linuxTestLaunchPlan(input({ cpus: 3, memoryMiB: 3072 })).args;
    expect(valueOf(args, '-smp')).toBe('3');
    expect(valueOf(args, '-m')).toBe('3072');
    expect(() => linuxTestLaunchPlan(input({ cpus: 0 }))).toThrow(/CPU/);
    expect(() => linuxTestLaunchPlan(input({ memoryMiB: 1.5 }))).toThrow(/memory/);
  });

  it('boots the prepared kernel and per-boot initrd with a serial console and panic-exits', () => {
    const args = linuxTestLaunchPlan(input()).args;
    expect(valueOf(args, '-kernel')).toBe('/state/images/linux-test-abc/vmlinuz');
    expect(valueOf(args, '-initrd')).toBe('/state/vm/initrd-boot.img');
    const append = valueOf(args, '-append').split(' ');
    expect(append).toContain('console=ttyS0');
    expect(append).toContain('panic=-1');
    // The boot marker travels in the 0600 initrd, not on the world-readable QEMU command line.
    expect(args.join(' ')).not.toContain('marker');
  });

  it('attaches the persistent /nix disk as virtio qcow2, escaping commas in paths', () => {
    const args = linuxTestLaunchPlan(input({ files: { ...files, diskImage: '/Users/a,b/disk.qcow2', qmpSocket: '/s,q/qmp.sock' } })).args;
    expect(valueOf(args, '-drive')).toBe('file=/Users/a,,b/disk.qcow2,if=virtio,format=qcow2,id=nix');
    expect(valueOf(args, '-qmp')).toBe('unix:/s,,q/qmp.sock,server=on,wait=off');
  });

  it('refuses to launch without a prepared kernel', () => {
    expect(() => linuxTestLaunchPlan(input({ prepared: { kernel: null, initrd: null, extra: {} } }))).toThrow(/kernel/);
  });

  it('refuses an invalid host port', () => {
    expect(() => linuxTestLaunchPlan(input({ hostPort: 70000 }))).toThrow(/port/);
  });
});

describe('linux-test profile', () => {
  it('logs in as root with a per-install host key and proves marker then Nix', () => {
    expect(linuxTestProfile.name).toBe('linux-test');
    expect(linuxTestProfile.qemuBinaryName).toBe('qemu-system-x86_64');
    expect(linuxTestProfile.sshUser).toBe('root');
    expect(linuxTestProfile.hostKeyPolicy).toEqual({ kind: 'per-install' });
    expect(linuxTestProfile.readinessCommand).toBe(LINUX_TEST_READINESS_COMMAND);
  });
});

describe('the linux-test readiness command (run by /bin/sh here, with the guest paths moved to a temp dir)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'readiness-command-'));
    await mkdir(path.join(dir, 'bin'));
    await mkdir(path.join(dir, 'run'));
    await writeFile(path.join(dir, 'boot-marker'), 'marker-123\n');
    // busybox's usleep, and a nix-store that records that it ran.
    await writeFile(path.join(dir, 'bin', 'usleep'), '#!/bin/sh\nsleep 0.05\n', { mode: 0o755 });
    await writeFile(path.join(dir, 'bin', 'nix-store'), `#!/bin/sh\ntouch ${dir}/nix-store-ran\necho "nix-store: cannot open the database" >&2\nexit 1\n`, { mode: 0o755 });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const run = () =>
    execa('/bin/sh', ['-c', LINUX_TEST_READINESS_COMMAND.replaceAll('/etc/builder-bar/boot-marker', `${dir}/boot-marker`).replaceAll('/run/builder-bar', `${dir}/run`)], {
      reject: false,
      env: { PATH: `${dir}/bin:/usr/bin:/bin` },
      extendEnv: false,
    });

  it('reads the answer the boot left, without starting nix-store again', async () => {
    await writeFile(path.join(dir, 'run', 'nix-version'), 'nix-store (Nix) 2.8.0\n');
    await writeFile(path.join(dir, 'run', 'nix-checked'), '');
    const result = await run();
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('marker-123\nnix-store (Nix) 2.8.0');
    expect(existsSync(path.join(dir, 'nix-store-ran'))).toBe(false);
  });

  it('waits for the boot\'s attempt to end', async () => {
    setTimeout(() => {
      // A failed write shows as the test's own failure: the run below never sees the answer.
      writeFile(path.join(dir, 'run', 'nix-version'), 'nix-store (Nix) 2.8.0\n').then(() => writeFile(path.join(dir, 'run', 'nix-checked'), '')).catch(() => undefined);
    }, 300);
    const result = await run();
    expect(result.stdout).toBe('marker-123\nnix-store (Nix) 2.8.0');
  });

  it('runs nix-store itself when the boot\'s attempt printed nothing, and fails with its error', async () => {
    await writeFile(path.join(dir, 'run', 'nix-checked'), '');
    const result = await run();
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('marker-123');
    expect(result.stderr).toContain('cannot open the database');
    expect(existsSync(path.join(dir, 'nix-store-ran'))).toBe(true);
  });

  it('prints nothing of Nix when the marker is missing', async () => {
    await rm(path.join(dir, 'boot-marker'));
    const result = await run();
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('');
  });
});

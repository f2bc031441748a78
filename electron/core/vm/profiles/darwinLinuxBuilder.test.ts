import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintOfPublicKey } from '../keyStore.js';
import type { LaunchInput, VmFiles } from '../profile.js';
import {
  DARWIN_BUILDER_HOST_KEY, DARWIN_BUILDER_READINESS_COMMAND, createDarwinLinuxBuilderProfile, darwinLinuxBuilderLaunchPlan,
} from './darwinLinuxBuilder.js';
import { checkFlakeRef, linuxBuilderPiecesExpression, nixBuildPiecesArgs } from './darwinLinuxBuilderNix.js';

const vmDir = '/Users/me/Library/Application Support/Builder Bar/vm';
const files: VmFiles = {
  vmDir,
  qmpSocket: `${vmDir}/qmp.sock`,
  consoleLog: `${vmDir}/console.log`,
  qemuLog: `${vmDir}/qemu.log`,
  pidFile: `${vmDir}/qemu.pid`,
  diskImage: `${vmDir}/nixos.qcow2`,
};
const pieces = '/nix/store/0000000000000000000000000000000a-builder-bar-linux-builder';

function input(overrides: Partial<LaunchInput> = {}): LaunchInput {
  return {
    qemuBinary: '/opt/homebrew/bin/qemu-system-aarch64',
    accelerator: 'hvf',
    cpus: 4,
    memoryMiB: 3072,
    hostPort: 31022,
    files,
    prepared: {
      kernel: `${pieces}/kernel`,
      initrd: `${pieces}/initrd`,
      extra: { storeImage: `${pieces}/store.img`, kernelParams: 'loglevel=4 init=/nix/store/x-system/init regInfo=/nix/store/y/registration console=ttyAMA0,115200n8' },
    },
    bootMarker: 'boot-0123456789abcdef',
    ...overrides,
  };
}

function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((arg, index) => (arg === flag ? [args[index + 1] ?? ''] : []));
}
function valueOf(args: string[], flag: string): string {
  const values = valuesOf(args, flag);
  expect(values, `${flag} appears exactly once`).toHaveLength(1);
  return values[0] ?? '';
}

describe('darwin-linux-builder launch plan', () => {
  it('binds the ssh forward to 127.0.0.1, unlike upstream\'s all-interfaces hostfwd', () => {
    const args = darwinLinuxBuilderLaunchPlan(input()).args;
    expect(valueOf(args, '-nic')).toBe('user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:31022-:22');
    expect(args.join(' ')).not.toMatch(/hostfwd=tcp::|0\.0\.0\.0|-netdev/);
  });

  it('uses the arm64 virt machine with hvf and the host CPU on Apple silicon', () => {
    const args = darwinLinuxBuilderLaunchPlan(input(), 'arm64').args;
    expect(valueOf(args, '-machine')).toBe('virt,gic-version=2,accel=hvf');
    expect(valueOf(args, '-cpu')).toBe('host');
  });

  it('uses q35 on Intel Macs and emulates max when hvf did not pass its probe', () => {
    const args = darwinLinuxBuilderLaunchPlan(input({ accelerator: 'tcg', qemuBinary: 'qemu-system-x86_64' }), 'x64').args;
    expect(valueOf(args, '-machine')).toBe('q35,accel=tcg');
    expect(valueOf(args, '-cpu')).toBe('max');
  });

  it('sizes the guest from the settings', () => {
    const args = darwinLinuxBuilderLaunchPlan(input({ cpus: 6, memoryMiB: 8192 })).args;
    expect(valueOf(args, '-smp')).toBe('6');
    expect(valueOf(args, '-m')).toBe('8192');
  });

  it('keeps every file in the state dir: disk, QMP socket, console, pid file, shares; cwd too', () => {
    const plan = darwinLinuxBuilderLaunchPlan(input());
    expect(plan.cwd).toBe(vmDir);
    expect(plan.env).toEqual({});
    const args = plan.args;
    expect(args.join(' ')).not.toContain('./nixos.qcow2');
    expect(valuesOf(args, '-drive')[0]).toBe(`file=${vmDir}/nixos.qcow2,if=none,id=root,format=qcow2,cache=writeback,werror=report`);
    expect(valueOf(args, '-qmp')).toBe(`unix:${vmDir}/qmp.sock,server=on,wait=off`);
    expect(valueOf(args, '-chardev')).toBe(`file,id=console,path=${vmDir}/console.log,append=on`);
    expect(valueOf(args, '-pidfile')).toBe(`${vmDir}/qemu.pid`);
    for (const share of valuesOf(args, '-virtfs')) expect(share).toContain(`path=${vmDir}/`);
  });

  it('gives the guest what nixpkgs\' VM module mounts at boot', () => {
    const args = darwinLinuxBuilderLaunchPlan(input()).args;
    expect(valuesOf(args, '-device')).toEqual([
      'virtio-rng-pci',
      'virtio-blk-pci,drive=root,serial=root,bootindex=1',
      'virtio-blk-pci,drive=nix-store,bootindex=2',
    ]);
    expect(valuesOf(args, '-drive')[1]).toBe(`file=${pieces}/store.img,if=none,id=nix-store,format=raw,read-only=on`);
    expect(valuesOf(args, '-virtfs')).toEqual([
      `local,path=${vmDir}/keys,security_model=none,mount_tag=keys,readonly=on`,
      `local,path=${vmDir}/xchg,security_model=none,mount_tag=xchg`,
      `local,path=${vmDir}/xchg,security_model=none,mount_tag=shared`,
      `local,path=${vmDir}/certs,security_model=none,mount_tag=certs,readonly=on`,
    ]);
    expect(valueOf(args, '-kernel')).toBe(`${pieces}/kernel`);
    expect(valueOf(args, '-initrd')).toBe(`${pieces}/initrd`);
  });

  it('boots with nixpkgs\' kernel parameters plus panic exit and this boot\'s marker', () => {
    const append = valueOf(darwinLinuxBuilderLaunchPlan(input()).args, '-append');
    expect(append.startsWith('loglevel=4 init=/nix/store/x-system/init regInfo=/nix/store/y/registration console=ttyAMA0,115200n8 ')).toBe(true);
    expect(append.split(' ')).toContain('panic=-1');
    expect(append.split(' ')).toContain('builder_bar.boot_marker=boot-0123456789abcdef');
    expect(() => darwinLinuxBuilderLaunchPlan(input({ bootMarker: 'a b init=/bin/sh' }))).toThrow(/boot marker/);
  });

  it('runs in the foreground with no monitor, display or default devices', () => {
    const args = darwinLinuxBuilderLaunchPlan(input()).args;
    expect(args).not.toContain('-daemonize');
    expect(args).not.toContain('-nographic');
    expect(args).not.toContain('-monitor');
    expect(args).toContain('-nodefaults');
    expect(args).toContain('-no-reboot');
    expect(valueOf(args, '-display')).toBe('none');
  });

  it('needs the prepared store image and kernel parameters', () => {
    expect(() => darwinLinuxBuilderLaunchPlan(input({ prepared: { kernel: 'k', initrd: 'i', extra: {} } }))).toThrow(/storeImage/);
  });
});

describe('darwin-linux-builder profile', () => {
  it('runs the emulator of the Mac\'s architecture and tries hvf', () => {
    expect(createDarwinLinuxBuilderProfile({ arch: 'arm64' }).qemuBinaryName).toBe('qemu-system-aarch64');
    expect(createDarwinLinuxBuilderProfile({ arch: 'x64' }).qemuBinaryName).toBe('qemu-system-x86_64');
    expect(createDarwinLinuxBuilderProfile().acceleratorCandidates).toEqual(['hvf']);
  });

  it('pins nixpkgs\' published host key and says why that is weak', () => {
    const profile = createDarwinLinuxBuilderProfile();
    expect(profile.sshUser).toBe('builder');
    expect(profile.hostKeyPolicy.kind).toBe('fixed');
    if (profile.hostKeyPolicy.kind !== 'fixed') return;
    expect(profile.hostKeyPolicy.publicKey).toBe(DARWIN_BUILDER_HOST_KEY);
    expect(fingerprintOfPublicKey(profile.hostKeyPolicy.publicKey)).toMatch(/^SHA256:/);
    expect(profile.hostKeyPolicy.weakness).toMatch(/publishes/);
    expect(profile.hostKeyPolicy.weakness).toMatch(/pretend to be the builder/);
    expect(profile.hostKeyPolicy.weakness).toMatch(/pins/);
  });

  it('refuses to prepare anywhere but macOS, saying which profile to use', async () => {
    if (process.platform === 'darwin') return;
    await expect(createDarwinLinuxBuilderProfile().prepare({
      cacheDir: '/x', files, keys: { clientPublicKey: 'k', hostPrivateKey: null }, bootMarker: 'boot-0123456789', diskGiB: 20, report: () => undefined,
    })).rejects.toMatchObject({ code: 'not-supported', hint: expect.stringContaining('linux-test') });
  });

  it('fetches the builder with the Nix Builder Bar uses (nixBinDir), not whatever nix is on PATH', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chosen-nix-'));
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    try {
      const chosen = path.join(dir, 'nix');
      await writeFile(chosen, `#!/bin/sh\necho "$@" > ${path.join(dir, 'called')}\necho 'error: the chosen Nix ran' >&2\nexit 1\n`, { mode: 0o755 });
      Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
      const attempt = createDarwinLinuxBuilderProfile({ nixProgram: async () => chosen }).prepare({
        cacheDir: dir, files, keys: { clientPublicKey: 'k', hostPrivateKey: null }, bootMarker: 'boot-0123456789', diskGiB: 20, report: () => undefined,
      });
      await expect(attempt).rejects.toThrow(/Nix could not build darwin\.linux-builder: error: the chosen Nix ran/);
      expect(await readFile(path.join(dir, 'called'), 'utf8')).toMatch(/^build /);
    } finally {
      Object.defineProperty(process, 'platform', platform);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads the marker from the kernel command line, then asks Nix', async () => {
    expect(DARWIN_BUILDER_READINESS_COMMAND.endsWith(' && nix-store --version')).toBe(true);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cmdline-'));
    try {
      const cmdline = path.join(dir, 'cmdline');
      await writeFile(cmdline, 'init=/nix/store/x/init console=ttyAMA0,115200n8 panic=-1 builder_bar.boot_marker=boot-0123456789abcdef\n');
      const markerPart = DARWIN_BUILDER_READINESS_COMMAND.replace(' && nix-store --version', '').replace('/proc/cmdline', cmdline);
      const result = await execa('sh', ['-c', markerPart]);
      expect(result.stdout).toBe('boot-0123456789abcdef');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('fetching darwin.linux-builder with Nix', () => {
  it('builds without a result link in the working directory and prints the store path', () => {
    const args = nixBuildPiecesArgs('nixpkgs');
    expect(args[0]).toBe('build');
    expect(args).toContain('--no-link');
    expect(args).toContain('--print-out-paths');
    expect(args[args.indexOf('--extra-experimental-features') + 1]).toBe('nix-command flakes');
    expect(args[args.indexOf('--expr') + 1]).toContain('builtins.getFlake "nixpkgs"');
  });

  it('writes an expression Nix parses, reaching darwin.linux-builder\'s NixOS configuration', async () => {
    const expression = linuxBuilderPiecesExpression('github:NixOS/nixpkgs/nixpkgs-unstable');
    expect(expression).toContain('darwin.linux-builder');
    expect(expression).toContain('config.virtualisation.directBoot.initrd');
    expect(expression).toContain('-L nix-store');
    const parsed = await execa('nix-instantiate', ['--parse', '--expr', expression], { reject: false });
    // (This host's Nix may warn about its own build users; only a parse error matters here.)
    expect(parsed.stderr).not.toMatch(/error/);
    expect(parsed.exitCode).toBe(0);
    expect(parsed.stdout).toContain('builder-bar-linux-builder');
  });

  it('refuses a flake reference that could break out of the Nix string', () => {
    expect(() => checkFlakeRef('nixpkgs"; builtins.exec')).toThrow(/Unsupported/);
    expect(() => checkFlakeRef('${x}')).toThrow(/Unsupported/);
    expect(checkFlakeRef('github:NixOS/nixpkgs/nixos-24.11')).toBe('github:NixOS/nixpkgs/nixos-24.11');
  });
});

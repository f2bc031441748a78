import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NIXPKGS_PIN } from '../../settings/defaults.js';
import { fingerprintOfPublicKey } from '../keyStore.js';
import type { LaunchInput, VmFiles } from '../profile.js';
import {
  DARWIN_BUILDER_HOST_KEY, DARWIN_BUILDER_READINESS_COMMAND, GICV2_MAX_CPUS, builderCpus, createDarwinLinuxBuilderProfile, darwinLinuxBuilderLaunchPlan,
  type DarwinLinuxBuilderOptions,
} from './darwinLinuxBuilder.js';

const vmDir = '/Users/Jane Doe/Library/Application Support/Builder Bar/vm';
const files: VmFiles = {
  vmDir,
  qmpSocket: `${vmDir}/qmp.sock`,
  consoleLog: `${vmDir}/console.log`,
  qemuLog: `${vmDir}/qemu.log`,
  pidFile: `${vmDir}/qemu.pid`,
  diskImage: `${vmDir}/disk.qcow2`,
};
const image = '/nix/store/0000000000000000000000000000000a-builder-bar-linux-builder';
const keys = '/nix/store/0000000000000000000000000000000b-keys';

function input(overrides: Partial<LaunchInput> = {}): LaunchInput {
  return {
    qemuBinary: `${image}/qemu-bin/qemu-system-aarch64`,
    accelerator: 'hvf',
    cpus: 4,
    memoryMiB: 3072,
    hostPort: 31022,
    files,
    prepared: { kernel: null, initrd: null, extra: { runScript: `${image}/run-vm`, keys, caBundle: '/etc/ssl/cert.pem' } },
    bootMarker: 'boot-0123456789abcdef',
    ...overrides,
  };
}

const options: DarwinLinuxBuilderOptions = {
  pin: () => DEFAULT_NIXPKGS_PIN,
  nixPrograms: async () => ({ nixBuild: '/nix/var/nix/profiles/default/bin/nix-build', nixStore: '/nix/var/nix/profiles/default/bin/nix-store' }),
};

describe('darwin-linux-builder launch plan', () => {
  it('runs nixpkgs\' own run script from the realised image, in the VM dir', () => {
    const plan = darwinLinuxBuilderLaunchPlan(input());
    expect(plan.command).toBe(`${image}/run-vm`);
    expect(plan.args).toEqual([]);
    expect(plan.cwd).toBe(vmDir);
  });

  it('hands the script what Builder Bar decides through the script\'s own environment', () => {
    const { env } = darwinLinuxBuilderLaunchPlan(input());
    expect(env.TMPDIR).toBe(vmDir);
    expect(env.USE_TMPDIR).toBe('1');
    expect(env.NIX_DISK_IMAGE).toBe(files.diskImage);
    expect(env.KEYS).toBe(keys);
    expect(env.QEMU_NET_OPTS).toBe('hostfwd=tcp:127.0.0.1:31022-:22');
    expect(env.QEMU_KERNEL_PARAMS).toBe('panic=-1 builder_bar.boot_marker=boot-0123456789abcdef');
    expect(env.QEMU_OPTS).toMatch(/^-machine accel=hvf -smp 4 -m 3072 /);
    expect(env.NIX_SSL_CERT_FILE).toBe('/etc/ssl/cert.pem');
  });

  it('never hands the stock builder a host key (it has nixpkgs\' own)', () => {
    expect(darwinLinuxBuilderLaunchPlan(input()).env.QEMU_OPTS).not.toContain('fw_cfg');
  });

  it('hands this install\'s host key in through fw_cfg when the own-host-key image was prepared', () => {
    const own = darwinLinuxBuilderLaunchPlan(input({ prepared: { kernel: null, initrd: null, extra: { runScript: `${image}/run-vm`, keys, ownHostKey: 'true' } } }));
    expect(own.env.QEMU_OPTS).toContain('-fw_cfg name=opt/builder-bar/ssh_host_ed25519_key,file=ssh_host_ed25519_key');
  });

  it('the x86_64 Mac variant under TCG is the same plan with tcg', () => {
    const { env } = darwinLinuxBuilderLaunchPlan(input({ accelerator: 'tcg', cpus: 12 }), 'x64');
    expect(env.QEMU_OPTS).toMatch(/^-machine accel=tcg -smp 12 /);
  });

  it('caps Apple Silicon at 8 CPUs (GICv2) and says why; an Intel Mac is not capped', () => {
    expect(builderCpus('arm64', 12)).toEqual({ cpus: GICV2_MAX_CPUS, capped: expect.stringMatching(/8 CPUs, not 12: .*GICv2/) });
    expect(builderCpus('arm64', 8)).toEqual({ cpus: 8, capped: null });
    expect(builderCpus('x64', 12)).toEqual({ cpus: 12, capped: null });
    expect(darwinLinuxBuilderLaunchPlan(input({ cpus: 16 }), 'arm64').env.QEMU_OPTS).toContain('-smp 8 ');
  });

  it('needs the prepared run script and keys share', () => {
    expect(() => darwinLinuxBuilderLaunchPlan(input({ prepared: { kernel: null, initrd: null, extra: { keys } } }))).toThrow(/runScript/);
    expect(() => darwinLinuxBuilderLaunchPlan(input({ prepared: { kernel: null, initrd: null, extra: { runScript: 'x' } } }))).toThrow(/keys/);
  });
});

describe('darwin-linux-builder profile', () => {
  it('runs the emulator of the Mac\'s architecture and tries hvf', () => {
    expect(createDarwinLinuxBuilderProfile({ ...options, arch: 'arm64' }).qemuBinaryName).toBe('qemu-system-aarch64');
    expect(createDarwinLinuxBuilderProfile({ ...options, arch: 'x64' }).qemuBinaryName).toBe('qemu-system-x86_64');
    expect(createDarwinLinuxBuilderProfile(options).acceleratorCandidates).toEqual(['hvf']);
  });

  it('pins nixpkgs\' published host key and says why that is weak', () => {
    const profile = createDarwinLinuxBuilderProfile(options);
    expect(profile.sshUser).toBe('builder');
    expect(profile.hostKeyPolicy.kind).toBe('fixed');
    if (profile.hostKeyPolicy.kind !== 'fixed') return;
    expect(profile.hostKeyPolicy.publicKey).toBe(DARWIN_BUILDER_HOST_KEY);
    expect(fingerprintOfPublicKey(profile.hostKeyPolicy.publicKey)).toMatch(/^SHA256:/);
    expect(profile.hostKeyPolicy.weakness).toMatch(/publishes/);
    expect(profile.hostKeyPolicy.weakness).toMatch(/pretend to be the builder/);
  });

  it('names its keys share for readiness, so a key the guest\'s sshd refuses for its owner fails at once', () => {
    expect(createDarwinLinuxBuilderProfile(options).keysShare?.(files)).toEqual({
      hostDir: `${vmDir}/keys-share`, guestDir: '/var/keys', keyFile: 'builder_ed25519.pub',
    });
  });

  it('refuses to prepare anywhere but macOS, saying which profile to use', async () => {
    await expect(createDarwinLinuxBuilderProfile({ ...options, platform: 'linux' }).prepare({
      cacheDir: '/x', files, keys: { clientPublicKey: 'k', hostPrivateKey: null }, bootMarker: 'boot-0123456789', diskGiB: 20, report: () => undefined,
    })).rejects.toMatchObject({ code: 'not-supported', hint: expect.stringContaining('linux-test') });
  });

  it('refuses a state dir with a comma before anything runs: nixpkgs\' run script hands the disk and shares to QEMU with commas unescaped', async () => {
    // qemu-vm.nix: `-drive …,file="$NIX_DISK_IMAGE"` (made absolute by `readlink -f`) and
    // `-virtfs local,path="$TMPDIR"/xchg,…`: QEMU would split the path at the comma and exit.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'comma-state-'));
    try {
      const vm = path.join(dir, 'Builder Bar, beta', 'vm');
      let nixAsked = false;
      const attempt = createDarwinLinuxBuilderProfile({
        ...options,
        platform: 'darwin',
        nixPrograms: async () => {
          nixAsked = true;
          return { nixBuild: '/nonexistent/nix-build', nixStore: '/nonexistent/nix-store' };
        },
      }).prepare({
        cacheDir: dir, files: { ...files, vmDir: vm, diskImage: path.join(vm, 'disk.qcow2') }, keys: { clientPublicKey: 'k', hostPrivateKey: null }, bootMarker: 'boot-0123456789', diskGiB: 20, report: () => undefined,
      });
      await expect(attempt).rejects.toMatchObject({
        code: 'invalid-request',
        message: expect.stringMatching(/comma/),
        hint: expect.stringMatching(/--state-dir/),
      });
      expect(nixAsked).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('realises the image with the Nix Builder Bar uses (nixBinDir), not whatever is on PATH', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'chosen-nix-'));
    try {
      const chosen = path.join(dir, 'nix-build');
      await writeFile(chosen, `#!/bin/sh\necho "$@" > ${path.join(dir, 'called')}\necho 'error: the chosen Nix ran' >&2\nexit 1\n`, { mode: 0o755 });
      const attempt = createDarwinLinuxBuilderProfile({ ...options, platform: 'darwin', nixPrograms: async () => ({ nixBuild: chosen, nixStore: '/nonexistent' }) }).prepare({
        cacheDir: dir, files: { ...files, vmDir: dir }, keys: { clientPublicKey: 'k', hostPrivateKey: null }, bootMarker: 'boot-0123456789', diskGiB: 20, report: () => undefined,
      });
      await expect(attempt).rejects.toThrow(/error: the chosen Nix ran/);
      expect(await readFile(path.join(dir, 'called'), 'utf8')).toMatch(/linux-builder\.nix --argstr url https:\/\/github\.com\/NixOS\/nixpkgs\/archive\/ac62194c/);
    } finally {
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

  it('pins nixpkgs\' published key until the pin\'s own-host-key image exists, then this install\'s own', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'own-host-key-'));
    try {
      const profile = createDarwinLinuxBuilderProfile({ ...options, platform: 'darwin' });
      const here: VmFiles = { ...files, vmDir: dir };
      expect(await profile.hostKeyPolicyNow?.(here)).toMatchObject({ kind: 'fixed', publicKey: DARWIN_BUILDER_HOST_KEY });
      // What ensureBuilderImage leaves for the own variant: a store path with run-vm, its GC root, its record.
      const storePath = path.join(dir, 'store-path');
      await mkdir(storePath);
      await writeFile(path.join(storePath, 'run-vm'), '#!/bin/sh\n');
      await symlink(storePath, path.join(dir, 'builder-image-own'));
      await writeFile(path.join(dir, 'builder-image-own.json'), JSON.stringify({ pin: DEFAULT_NIXPKGS_PIN, storePath }));
      expect(await profile.hostKeyPolicyNow?.(here)).toEqual({ kind: 'per-install' });
      // Another pin's own image is not this one's.
      const other = createDarwinLinuxBuilderProfile({ ...options, platform: 'darwin', pin: () => ({ ...DEFAULT_NIXPKGS_PIN, rev: 'f'.repeat(40) }) });
      expect(await other.hostKeyPolicyNow?.(here)).toMatchObject({ kind: 'fixed' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

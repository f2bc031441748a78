import { describe, expect, it } from 'vitest';
import { BOOT_MARKER_FROM_CMDLINE, HOST_KEY_FW_CFG_NAME, runScriptEnv, runScriptQemuOpts, type RunScriptEnvInput } from './runScriptEnv.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const input: RunScriptEnvInput = {
  accelerator: 'tcg',
  cpus: 2,
  memoryMiB: 1536,
  hostPort: 31022,
  vmDir: '/Users/Jane Doe/Library/Application Support/Builder Bar, beta/vm',
  diskImage: '/Users/Jane Doe/Library/Application Support/Builder Bar, beta/vm/disk.qcow2',
  keysDir: '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-keys',
  bootMarker: 'builder-bar-boot-0123456789abcdef',
  withHostKey: true,
};

describe('runScriptEnv', () => {
  it('sets exactly the variables nixpkgs\' run script reads', () => {
    const env = runScriptEnv(input);
    expect(Object.keys(env).sort()).toEqual(['KEYS', 'NIX_DISK_IMAGE', 'QEMU_KERNEL_PARAMS', 'QEMU_NET_OPTS', 'QEMU_OPTS', 'TMPDIR', 'USE_TMPDIR']);
    expect(env.TMPDIR).toBe(input.vmDir);
    expect(env.USE_TMPDIR).toBe('1');
    expect(env.NIX_DISK_IMAGE).toBe(input.diskImage);
    expect(env.KEYS).toBe(input.keysDir);
  });

  it('forwards the ssh port on 127.0.0.1 only', () => {
    expect(runScriptEnv(input).QEMU_NET_OPTS).toBe('hostfwd=tcp:127.0.0.1:31022-:22');
    expect(() => runScriptEnv({ ...input, hostPort: 0 })).toThrow(/port/);
    expect(() => runScriptEnv({ ...input, hostPort: 70000 })).toThrow(/port/);
  });

  it('names QEMU\'s runtime files relative to the working directory, so a path with spaces or commas never reaches QEMU', () => {
    const opts = runScriptEnv(input).QEMU_OPTS;
    expect(opts).not.toContain('Jane');
    expect(opts).toContain('-qmp unix:qmp.sock,server=on,wait=off');
    expect(opts).toContain('-chardev file,id=builder-bar-console,path=console.log,append=on -serial chardev:builder-bar-console');
    expect(opts).toContain('-pidfile qemu.pid');
    expect(opts).toContain('-monitor none');
    expect(opts).toContain('-no-reboot');
  });

  it('puts the probed accelerator, CPUs and memory last, where QEMU takes them over the script\'s own', () => {
    const words = runScriptQemuOpts(input);
    expect(words.slice(0, 6)).toEqual(['-machine', 'accel=tcg', '-smp', '2', '-m', '1536']);
    expect(() => runScriptQemuOpts({ ...input, cpus: 0 })).toThrow(/CPU/);
    expect(() => runScriptQemuOpts({ ...input, memoryMiB: 100 })).toThrow(/memory/);
  });

  it('hands the host key in through fw_cfg only when asked', () => {
    expect(runScriptEnv(input).QEMU_OPTS).toContain(`-fw_cfg name=${HOST_KEY_FW_CFG_NAME},file=ssh_host_ed25519_key`);
    expect(runScriptEnv({ ...input, withHostKey: false }).QEMU_OPTS).not.toContain('fw_cfg');
  });

  it('names the fw_cfg entry the Mac builder\'s own-host-key module reads (resources/nix/linux-builder.nix)', () => {
    const module = readFileSync(path.join(__dirname, '..', '..', '..', '..', 'resources', 'nix', 'linux-builder.nix'), 'utf8');
    expect(module).toContain(`/sys/firmware/qemu_fw_cfg/by_name/${HOST_KEY_FW_CFG_NAME}/raw`);
  });

  it('survives the script shell\'s word splitting and globbing word for word', () => {
    const opts = runScriptEnv(input).QEMU_OPTS;
    const split = execFileSync('/bin/sh', ['-c', 'for w in $QEMU_OPTS; do printf "%s\\n" "$w"; done'], { env: { QEMU_OPTS: opts }, cwd: '/' }).toString().trim().split('\n');
    expect(split).toEqual(runScriptQemuOpts(input));
  });

  it('puts the boot marker on the kernel command line and refuses markers that could split it', () => {
    expect(runScriptEnv(input).QEMU_KERNEL_PARAMS).toBe('panic=-1 builder_bar.boot_marker=builder-bar-boot-0123456789abcdef');
    expect(() => runScriptEnv({ ...input, bootMarker: 'a b init=/bin/sh' })).toThrow(/marker/);
  });

  it('reads the marker back from a kernel command line', () => {
    const cmdline = 'console=ttyS0 init=/nix/store/x/init panic=-1 builder_bar.boot_marker=builder-bar-boot-42abcdef quiet';
    const dir = mkdtempSync(path.join(tmpdir(), 'cmdline-'));
    try {
      writeFileSync(path.join(dir, 'cmdline'), `${cmdline}\n`);
      const out = execFileSync('/bin/sh', ['-c', BOOT_MARKER_FROM_CMDLINE.replace('/proc/cmdline', 'cmdline')], { cwd: dir }).toString().trim();
      expect(out).toBe('builder-bar-boot-42abcdef');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

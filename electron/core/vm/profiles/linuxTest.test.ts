import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LaunchInput, VmFiles } from '../profile.js';
import { vmFilesIn } from '../vmFiles.js';
import { GUEST_BOOT_MARKER_FILE, GUEST_NIX_DAEMON_SOCKET, LINUX_TEST_READINESS_COMMAND, linuxTestKeysShare, linuxTestLaunchPlan, linuxTestProfile } from './linuxTest.js';
import { HOST_KEY_FW_CFG_NAME, runScriptEnv, runScriptQemuOpts } from './runScriptEnv.js';

const files: VmFiles = vmFilesIn('/state/vm');
const KEYS = '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-keys';

function input(overrides: Partial<LaunchInput> = {}): LaunchInput {
  return {
    qemuBinary: '/usr/bin/qemu-system-x86_64',
    accelerator: 'tcg',
    cpus: 2,
    memoryMiB: 1024,
    hostPort: 31022,
    files,
    prepared: {
      kernel: '/state/images/linux-test-abc/vmlinuz',
      initrd: '/state/images/linux-test-abc/initramfs.cpio.gz',
      extra: { runScript: '/state/images/linux-test-abc/run-linux-test-vm', keysDir: KEYS },
    },
    bootMarker: 'builder-bar-boot-0123456789abcdef',
    ...overrides,
  };
}

describe('linux-test launch plan', () => {
  it('has the control port (and a second QMP monitor for snapshots); a restore waits for the saved state, paused', () => {
    const cold = linuxTestLaunchPlan(input()).env.QEMU_OPTS ?? '';
    expect(cold).toContain('-chardev socket,id=builder-bar-control,path=control.sock,server=on,wait=off');
    expect(cold).toContain('-device virtserialport,bus=builder-bar-serial.0,chardev=builder-bar-control,name=org.builderbar.control');
    expect(cold).toContain('-device vmgenid,guid=auto');
    expect(cold).toContain('-qmp unix:qmp-snapshot.sock,server=on,wait=off');
    expect(cold).not.toContain('-incoming');
    const restore = linuxTestLaunchPlan(input({ incoming: true })).env.QEMU_OPTS ?? '';
    // The same devices in the same order, then the two words a restore adds.
    expect(restore).toBe(`${cold} -incoming defer -S`);
  });

  it('runs the image\'s run script from the VM dir, with no arguments of its own', () => {
    const plan = linuxTestLaunchPlan(input());
    expect(plan.command).toBe('/state/images/linux-test-abc/run-linux-test-vm');
    expect(plan.args).toEqual([]);
    expect(plan.cwd).toBe('/state/vm');
  });

  it('hands the script exactly the environment nixpkgs\' run script reads, from every setting', () => {
    for (const settings of [
      { accelerator: 'tcg', cpus: 1, memoryMiB: 1024, hostPort: 31022 },
      { accelerator: 'kvm', cpus: 4, memoryMiB: 3072, hostPort: 40123 },
      { accelerator: 'hvf', cpus: 8, memoryMiB: 8192, hostPort: 2222 },
    ] as const) {
      const env = linuxTestLaunchPlan(input(settings)).env;
      expect(env).toEqual(runScriptEnv({
        ...settings, vmDir: '/state/vm', diskImage: files.diskImage, keysDir: KEYS, bootMarker: 'builder-bar-boot-0123456789abcdef', withHostKey: true, withControlPort: true, incoming: false,
      }));
      expect(env.QEMU_OPTS).toContain(`-machine accel=${settings.accelerator} -smp ${settings.cpus} -m ${settings.memoryMiB}`);
      expect(env.QEMU_NET_OPTS).toBe(`hostfwd=tcp:127.0.0.1:${settings.hostPort}-:22`);
    }
  });

  it('shares the prepared store path as KEYS, the VM dir\'s disk as NIX_DISK_IMAGE, and hands the host key in through fw_cfg', () => {
    const env = linuxTestLaunchPlan(input()).env;
    expect(env.KEYS).toBe(KEYS);
    expect(env.NIX_DISK_IMAGE).toBe('/state/vm/disk.qcow2');
    expect(env.TMPDIR).toBe('/state/vm');
    expect(env.USE_TMPDIR).toBe('1');
    expect(env.QEMU_OPTS).toContain(`-fw_cfg name=${HOST_KEY_FW_CFG_NAME},file=ssh_host_ed25519_key`);
    expect(env.QEMU_KERNEL_PARAMS).toBe('panic=-1 builder_bar.boot_marker=builder-bar-boot-0123456789abcdef');
  });

  it('refuses to launch without a prepared run script or keys share, or with a bad setting', () => {
    expect(() => linuxTestLaunchPlan(input({ prepared: { kernel: null, initrd: null, extra: { keysDir: KEYS } } }))).toThrow(/runScript/);
    expect(() => linuxTestLaunchPlan(input({ prepared: { kernel: null, initrd: null, extra: { runScript: '/x/run' } } }))).toThrow(/keysDir/);
    expect(() => linuxTestLaunchPlan(input({ hostPort: 70000 }))).toThrow(/port/);
    expect(() => linuxTestLaunchPlan(input({ cpus: 0 }))).toThrow(/CPU/);
    expect(() => linuxTestLaunchPlan(input({ memoryMiB: 1.5 }))).toThrow(/memory/);
    expect(() => linuxTestLaunchPlan(input({ bootMarker: 'x init=/bin/sh' }))).toThrow(/marker/);
  });
});

describe('linux-test profile', () => {
  it('logs in as builder (not root) with a per-install host key and proves marker then Nix', () => {
    expect(linuxTestProfile.name).toBe('linux-test');
    expect(linuxTestProfile.qemuBinaryName).toBe('qemu-system-x86_64');
    expect(linuxTestProfile.sshUser).toBe('builder');
    expect(linuxTestProfile.hostKeyPolicy).toEqual({ kind: 'per-install' });
    expect(linuxTestProfile.readinessCommand).toBe(LINUX_TEST_READINESS_COMMAND);
  });

  it('names its keys share for readiness: the VM dir\'s link to the store path, /var/keys/builder_ed25519.pub in the guest', () => {
    expect(linuxTestProfile.keysShare?.(files)).toEqual(linuxTestKeysShare(files));
    expect(linuxTestKeysShare(files)).toEqual({ hostDir: '/state/vm/keys-share', guestDir: '/var/keys', keyFile: 'builder_ed25519.pub' });
  });
});

// The script the image build writes (resources/guest/write-run-script.sh), run for real by bash
// with QEMU and qemu-img replaced by programs that record their arguments: what QEMU would be
// given, word for word. (The integration test runs it with the real QEMU.)
describe('the generated run script', () => {
  let root: string;
  let imageDir: string;
  let script: string;
  let vmDir: string;
  const record = (name: string) => path.join(root, `${name}.args`);

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'run-script-'));
    imageDir = path.join(root, 'images', 'linux test, image');
    vmDir = path.join(root, 'Application Support', 'Builder Bar, beta', 'vm');
    await mkdir(imageDir, { recursive: true });
    await mkdir(vmDir, { recursive: true });
    const recorder = (name: string) => `#!/bin/sh\n{ pwd; printf '%s\\n' "$@"; } > '${record(name)}'\n`;
    await writeFile(path.join(root, 'qemu-system-x86_64'), recorder('qemu'), { mode: 0o755 });
    await writeFile(path.join(root, 'qemu-img'), recorder('qemu-img'), { mode: 0o755 });
    script = path.join(imageDir, 'run-linux-test-vm');
    const bash = (await execa('bash', ['-c', 'command -v bash'])).stdout.trim();
    await execa(bash, [
      path.join('resources', 'guest', 'write-run-script.sh'), script, path.join(root, 'qemu-system-x86_64'), path.join(root, 'qemu-img'), bash, imageDir,
    ]);
    await execa('chmod', ['0755', script]);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  afterEach(async () => {
    await rm(record('qemu'), { force: true });
    await rm(record('qemu-img'), { force: true });
  });

  /** Runs the script as the supervisor does: plan.command with plan.env over the process's, in plan.cwd. */
  async function start(extraArgs: string[] = [], envOverride: Record<string, string | undefined> = {}): Promise<{ cwd: string; args: string[] }> {
    const plan = linuxTestLaunchPlan(input({
      files: vmFilesIn(vmDir),
      prepared: { kernel: null, initrd: null, extra: { runScript: script, keysDir: KEYS } },
    }));
    const result = await execa(plan.command, [...plan.args, ...extraArgs], { cwd: plan.cwd, env: { ...plan.env, ...envOverride }, extendEnv: true, reject: false });
    if (result.exitCode !== 0) throw new Error(`the run script failed (${result.exitCode}): ${result.stderr}`);
    const [cwd, ...args] = (await readFile(record('qemu'), 'utf8')).split('\n').slice(0, -1);
    return { cwd: cwd ?? '', args };
  }

  function after(args: string[], flag: string, nth = 0): string {
    const at = args.flatMap((arg, index) => (arg === flag ? [index] : []))[nth];
    if (at === undefined) throw new Error(`${flag} #${nth} not in ${args.join(' ')}`);
    return args[at + 1] ?? '';
  }

  it('starts QEMU in the VM dir (spaces and a comma in its path) with the shares, disk, kernel and network of nixpkgs\' script', async () => {
    const { cwd, args } = await start();
    expect(cwd).toBe(vmDir);
    const escaped = vmDir.replaceAll(',', ',,');
    expect(after(args, '-machine')).toBe('q35,accel=kvm:tcg');
    expect(after(args, '-cpu')).toBe('max');
    expect(after(args, '-virtfs', 0)).toBe(`local,path=${KEYS},security_model=none,mount_tag=keys,readonly=on`);
    expect(after(args, '-virtfs', 1)).toBe(`local,path=${escaped}/xchg,security_model=none,mount_tag=xchg`);
    expect(after(args, '-drive')).toBe(`cache=writeback,file=${escaped}/disk.qcow2,id=drive1,if=none,index=1,werror=report`);
    expect(after(args, '-netdev')).toBe('user,id=user.0,hostfwd=tcp:127.0.0.1:31022-:22');
    expect(after(args, '-kernel')).toBe(path.join(imageDir, 'vmlinuz'));
    expect(after(args, '-initrd')).toBe(path.join(imageDir, 'initramfs.cpio.gz'));
    expect(after(args, '-append')).toBe('console=ttyS0 quiet panic=-1 builder_bar.boot_marker=builder-bar-boot-0123456789abcdef');
    expect(args).toContain('-nographic');
    expect(existsSync(path.join(vmDir, 'xchg'))).toBe(true);
  });

  it('puts QEMU_OPTS, word-split, after its own defaults, so QEMU takes Builder Bar\'s -machine accel, -smp and -m; then its own arguments', async () => {
    const { args } = await start(['-S', 'an argument with spaces']);
    const opts = runScriptQemuOpts({
      accelerator: 'tcg', cpus: 2, memoryMiB: 1024, hostPort: 31022, vmDir, diskImage: '', keysDir: KEYS, bootMarker: 'builder-bar-boot-0123456789abcdef', withHostKey: true, withControlPort: true,
    });
    const nographic = args.indexOf('-nographic');
    expect(args.slice(nographic + 1)).toEqual([...opts, '-S', 'an argument with spaces']);
    expect(args.lastIndexOf('-smp')).toBeGreaterThan(nographic);
    expect(args.lastIndexOf('-m')).toBeGreaterThan(nographic);
  });

  it('creates the disk with qemu-img when it is missing, and leaves an existing one alone', async () => {
    await start();
    expect((await readFile(record('qemu-img'), 'utf8')).split('\n').slice(1, -1)).toEqual(['create', '-f', 'qcow2', path.join(vmDir, 'disk.qcow2'), '2048M']);
    await rm(record('qemu-img'));
    await writeFile(path.join(vmDir, 'disk.qcow2'), 'a disk');
    await start();
    expect(existsSync(record('qemu-img'))).toBe(false);
    await rm(path.join(vmDir, 'disk.qcow2'));
  });

  it('works in a new temporary dir when TMPDIR is not to be used, as nixpkgs\' does', async () => {
    const { cwd } = await start([], { USE_TMPDIR: '', TMPDIR: root });
    expect(path.dirname(cwd)).toBe(root);
    expect(path.basename(cwd)).toMatch(/^nix-vm\./);
  });

  it('refuses to start without KEYS, saying what it must name', async () => {
    await expect(start([], { KEYS: '' })).rejects.toThrow(/KEYS must name the directory shared with the guest at \/var\/keys/);
  });
});

describe('the linux-test readiness command (run by /bin/sh here, with the guest paths moved to a temp dir)', () => {
  let dir: string;
  let daemon: net.Server | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'readiness-command-'));
    await mkdir(path.join(dir, 'bin'));
    await writeFile(path.join(dir, 'boot-marker'), 'marker-123\n');
    await writeFile(path.join(dir, 'nix-version'), 'nix-store (Nix) 2.8.0\n');
    // busybox's usleep.
    await writeFile(path.join(dir, 'bin', 'usleep'), '#!/bin/sh\nsleep 0.05\n', { mode: 0o755 });
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => (daemon ? daemon.close(() => resolve()) : resolve()));
    daemon = null;
    await rm(dir, { recursive: true, force: true });
  });
  /** A listening unix socket where the guest's nix-daemon has its own. */
  const listen = async (): Promise<void> => {
    const server = net.createServer();
    daemon = server;
    await new Promise<void>((resolve) => server.listen(path.join(dir, 'socket'), () => resolve()));
  };
  const run = () =>
    execa('/bin/sh', ['-c', LINUX_TEST_READINESS_COMMAND
      .replaceAll(GUEST_BOOT_MARKER_FILE, `${dir}/boot-marker`)
      .replaceAll('/etc/builder-bar/nix-version', `${dir}/nix-version`)
      .replaceAll(GUEST_NIX_DAEMON_SOCKET, `${dir}/socket`)], {
      reject: false,
      env: { PATH: `${dir}/bin:/usr/bin:/bin` },
      extendEnv: false,
    });

  it('prints the marker the host\'s go left, then the image\'s Nix version once the daemon listens', async () => {
    await listen();
    const result = await run();
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('marker-123\nnix-store (Nix) 2.8.0');
  });

  it('waits for the daemon\'s socket', async () => {
    setTimeout(() => {
      // A failed listen shows as the test's own failure: the run below never sees the socket.
      listen().catch(() => undefined);
    }, 300);
    const result = await run();
    expect(result.stdout).toBe('marker-123\nnix-store (Nix) 2.8.0');
  });

  it('fails, saying so, when no daemon listens', async () => {
    const result = await run();
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('marker-123');
    expect(result.stderr).toBe(`the nix-daemon does not listen on ${GUEST_NIX_DAEMON_SOCKET}`.replace(GUEST_NIX_DAEMON_SOCKET, `${dir}/socket`));
  }, 20_000);

  it('prints nothing and fails before the guest went on (no marker file yet)', async () => {
    await rm(path.join(dir, 'boot-marker'));
    await listen();
    const result = await run();
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('');
  });
});

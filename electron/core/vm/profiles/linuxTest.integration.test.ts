// The linux-test guest for real, started the way the supervisor starts every profile: build
// (then reuse) the image, prepare (keys share through the Nix store, host key for fw_cfg, disk),
// spawn the image's run script with the environment of nixpkgs' run script (the supervisor's own
// spawnQemu), wait with the supervisor's own readiness (ssh2 as `builder`, pinned host key,
// marker and Nix), delegate builds to it through Nix (ssh:// and ssh-ng://, both through the
// guest's daemon), power it off over QMP, and see the /nix disk keep its store across a reboot.
// Then the same guest with the keys share handed in as upstream's old user-owned ./keys: readiness
// stops within seconds and says why. The state dir's name has a space and a comma, as
// "Application Support/Builder Bar, beta" would.
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMachineUri, writeRemoteNixConf, type NixEnvironment } from '../../builds/testing/nixTestConf.js';
import { ensureLinuxTestImage } from '../guest-image/linuxTestImage.js';
import { CLIENT_KEY_FILE, ensureInstallKeys, type InstallKeys } from '../keyStore.js';
import type { KeysShare, PreparedGuest, VmFiles } from '../profile.js';
import { QmpClient } from '../qmpClient.js';
import { spawnQemu, type QemuProcess } from '../qemuProcess.js';
import { letGuestGo } from '../snapshot/startGuest.js';
import { snapshotFilesIn } from '../snapshot/snapshotStore.js';
import { ReadinessError, waitUntilReady, type ReadyGuest } from '../readiness.js';
import { freeLoopbackPort } from '../testing/freeLoopbackPort.js';
import { RUN_DIR_FILES, vmFilesIn } from '../vmFiles.js';
import { linuxTestKeysShare, linuxTestProfile } from './linuxTest.js';

const tinyNix = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'builds', 'testing', 'tiny.nix');
let stateDir = '';
/** Nix's conf dirs: NIX_SSHOPTS is split at spaces, so they live outside the state dir. */
let confRoot = '';
let files: VmFiles;
let keys: InstallKeys;
let keysDir = '';
let hostPort = 0;
const started = new Set<QemuProcess>();

interface Boot {
  qemu: QemuProcess;
  prepared: PreparedGuest;
  marker: string;
  /** When the run script was spawned (the guest's own prepare is done by then). */
  spawnedAt: number;
  /** QEMU's end, as soon as it is known. */
  ended: () => boolean;
}

async function boot(override: { keysDir?: string } = {}): Promise<Boot> {
  const marker = `builder-bar-boot-${randomBytes(8).toString('hex')}`;
  const prepared = await linuxTestProfile.prepare({
    cacheDir: path.join(stateDir, 'images'),
    files,
    keys: { clientPublicKey: keys.clientPublicKey, hostPrivateKey: keys.hostPrivateKey },
    bootMarker: marker,
    diskGiB: 2,
    report: () => undefined,
  });
  const launched = override.keysDir ? { ...prepared, extra: { ...prepared.extra, keysDir: override.keysDir } } : prepared;
  const plan = linuxTestProfile.launchPlan({
    qemuBinary: 'qemu-system-x86_64', accelerator: 'tcg', cpus: 1, memoryMiB: 1024, hostPort, files, prepared: launched, bootMarker: marker,
  });
  await writeFile(files.consoleLog, '');
  const spawnedAt = Date.now();
  const qemu = await spawnQemu(plan, files.qemuLog);
  started.add(qemu);
  let over = false;
  // exited never rejects (qemuProcess.ts): it settles with QEMU's end.
  qemu.exited.then(() => {
    over = true;
    started.delete(qemu);
  }, () => undefined);
  // The guest waits at its snapshot line for the host's go, as the supervisor gives it (no snapshot here).
  letGuestGo({
    qmpSocket: path.join(files.vmDir, RUN_DIR_FILES.snapshotQmpSocket),
    controlSocket: path.join(files.vmDir, RUN_DIR_FILES.controlSocket),
    snapshot: snapshotFilesIn(files.vmDir),
    marker,
    restore: null,
    saveWith: null,
    isQemuAlive: () => !over,
    qemuEnded: async () => null,
    allowingRefusal: (load) => load(),
    now: Date.now,
    say: () => undefined,
    report: () => undefined,
    signal: new AbortController().signal,
  }).catch(() => undefined);
  return { qemu, prepared, marker, spawnedAt, ended: () => over };
}

function ready(booted: Boot, keysShare: KeysShare, report: (detail: string) => void = () => undefined): Promise<ReadyGuest> {
  return waitUntilReady(
    {
      isQemuAlive: () => !booted.ended(),
      qmpSocket: files.qmpSocket,
      ssh: { host: '127.0.0.1', port: hostPort, username: linuxTestProfile.sshUser, privateKey: keys.clientPrivateKey, pinnedHostKeyBlob: keys.pinnedHostKeyBlob },
      readinessCommand: linuxTestProfile.readinessCommand,
      bootMarker: booted.marker,
      keysShare,
    },
    { signal: new AbortController().signal, timeoutMs: 240_000, report },
  );
}

/** Runs a test's steps on a boot; a step that fails leaves no QEMU behind for the next test. */
async function onBoot(booted: Boot, steps: () => Promise<void>): Promise<void> {
  try {
    await steps();
  } finally {
    if (!booted.ended()) {
      process.kill(booted.qemu.pid, 'SIGKILL');
      await booted.qemu.exited;
    }
  }
}

async function powerOff(booted: Boot, guest: ReadyGuest | null): Promise<void> {
  guest?.session.close();
  guest?.qmp.close();
  const qmp = await QmpClient.connect(files.qmpSocket, 5_000);
  await qmp.powerdown();
  qmp.close();
  const info = await Promise.race([booted.qemu.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000))]);
  if (info === null) throw new Error('QEMU did not exit within 60 s of system_powerdown');
  expect(info.exitCode).toBe(0);
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'builder-bar linux-test, it-'));
  confRoot = await mkdtemp(path.join(os.tmpdir(), 'bb-linux-test-conf-'));
  keysDir = path.join(stateDir, 'keys');
  files = vmFilesIn(path.join(stateDir, 'vm'));
  await mkdir(files.vmDir, { mode: 0o700 });
  keys = await ensureInstallKeys(keysDir, linuxTestProfile);
  hostPort = await freeLoopbackPort();
});

afterAll(async () => {
  for (const qemu of started) process.kill(qemu.pid, 'SIGKILL');
  await Promise.allSettled([...started].map((qemu) => qemu.exited));
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
  if (confRoot) await rm(confRoot, { recursive: true, force: true });
});

describe('linux-test guest (real QEMU under TCG)', () => {
  it('builds the image once and reuses it while its inputs are unchanged', async () => {
    const imagesDir = path.join(stateDir, 'images');
    const reports: string[] = [];
    const first = await ensureLinuxTestImage({ imagesDir, report: (m) => reports.push(m) });
    const second = await ensureLinuxTestImage({ imagesDir, report: (m) => reports.push(m) });
    expect(first.built).toBe(true);
    expect(second).toEqual({ ...first, built: false });
    expect(path.basename(first.dir)).toBe(`linux-test-${first.hash}`);
    expect(reports.some((m) => m.startsWith('Building the linux-test guest image'))).toBe(true);
  });

  it('starts through its run script, is ready over OpenSSH as builder, takes delegated builds through the guest\'s nix-daemon, and powers off cleanly', async () => {
    const booted = await boot();
    await onBoot(booted, async () => {
      const guest = await ready(booted, linuxTestKeysShare(files));
      console.log(`linux-test (OpenSSH): spawn to ready under TCG in ${((Date.now() - booted.spawnedAt) / 1000).toFixed(1)} s`);
      expect(guest.nixVersion).toMatch(/^nix-store \(Nix\) \d+\.\d+/);
      // QEMU's argv is what the run script made of the environment: the ssh forward on loopback only.
      const argv = (await readFile(`/proc/${booted.qemu.pid}/cmdline`, 'utf8')).split('\0');
      expect(argv).toContain(`user,id=user.0,hostfwd=tcp:127.0.0.1:${hostPort}-:22`);
      expect(booted.prepared.extra.keysDir).toMatch(/^\/nix\/store\/[0-9a-z]{32}-keys$/);
      expect(argv).toContain(`local,path=${booted.prepared.extra.keysDir},security_model=none,mount_tag=keys,readonly=on`);

      // Who the login is, and what it may do: the store is the daemon's alone.
      const who = await guest.session.exec('id -un; stat -c "%U %a" /var/keys/builder_ed25519.pub /etc/ssh/ssh_host_ed25519_key; touch /nix/store/x; touch /nix/var/nix/x; echo done');
      expect(who.stdout.split('\n')).toEqual(['builder', 'root 444', 'root 600', 'done', '']);
      expect(who.stderr).toMatch(/touch: \/nix\/store\/x: Permission denied\ntouch: \/nix\/var\/nix\/x: Permission denied/);
      // The host key pinned, as the wiring does: only the login is refused, not the host. Quoted:
      // ssh splits an unquoted UserKnownHostsFile at spaces, and the state dir has some.
      const knownHosts = path.join(stateDir, 'known_hosts');
      await writeFile(knownHosts, `[127.0.0.1]:${hostPort} ${keys.pinnedHostKey.publicKey}\n`);
      const root = await execa('ssh', [
        '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile="${knownHosts}"`, '-o', 'IdentitiesOnly=yes',
        '-i', path.join(keysDir, CLIENT_KEY_FILE), '-p', String(hostPort), 'root@127.0.0.1', 'true',
      ], { reject: false });
      expect(root.stderr).toContain('Permission denied (publickey)');

      // Delegated builds from this host's Nix, on both protocols, only the builder may build.
      for (const protocol of ['ssh', 'ssh-ng'] as const) {
        const env: NixEnvironment = await writeRemoteNixConf(path.join(confRoot, protocol), { keysDir, sshPort: hostPort, user: linuxTestProfile.sshUser, protocol });
        const nonce = `${protocol}-${randomBytes(6).toString('hex')}`;
        const built = await execa('nix-build', [tinyNix, '-A', 'success', '--argstr', 'nonce', nonce, '--max-jobs', '0', '--no-out-link'], { env, extendEnv: true, reject: false });
        expect(built.stderr).toContain(`building '`);
        expect(built.stderr).toContain(`on '${testMachineUri(protocol)}'`);
        expect(built.exitCode).toBe(0);
        const output = built.stdout.trim();
        const guestKernel = (await guest.session.exec('cat /proc/version')).stdout.trim();
        expect((await readFile(output, 'utf8')).trim()).toBe(guestKernel);
        // The guest's copy was made by its daemon (root), not by the builder login.
        const owner = await guest.session.exec(`stat -c %U ${output}`);
        expect(owner.stdout.trim()).toBe('root');
      }

      await powerOff(booted, guest);
      const console_ = await readFile(files.consoleLog, 'utf8');
      expect(console_).toContain('builder-bar: keys share mounted at /var/keys (owner uid 0)');
      expect(console_).toContain('Accepted publickey for builder');
      expect(console_).toMatch(/accepted connection from pid \d+, user builder \(trusted\)/);
      expect(console_).toContain('builder-bar: /nix disk unmounted cleanly');
    });
  });

  it('fails readiness within seconds, saying why, when the keys share is a directory the guest sees owned by uid 501 (upstream\'s old ./keys on a Mac)', async () => {
    const userKeys = path.join(stateDir, 'keys as a Mac user has them');
    await mkdir(userKeys);
    await writeFile(path.join(userKeys, 'builder_ed25519.pub'), `${keys.clientPublicKey.trim()}\n`);
    await chmod(path.join(userKeys, 'builder_ed25519.pub'), 0o644);
    await chown(path.join(userKeys, 'builder_ed25519.pub'), 501, 20);
    await chown(userKeys, 501, 20);
    const booted = await boot({ keysDir: userKeys });
    await onBoot(booted, async () => {
      let loginFrom = 0;
      const share = { hostDir: userKeys, guestDir: '/var/keys', keyFile: 'builder_ed25519.pub' };
      const failure = await ready(booted, share, (detail) => { if (detail.startsWith('logging in')) loginFrom = Date.now(); }).then(
        (guest) => { guest.session.close(); guest.qmp.close(); return null; },
        (error: unknown) => error,
      );
      const console_ = await readFile(files.consoleLog, 'utf8');
      const seconds = (ms: number) => ((Date.now() - ms) / 1000).toFixed(1);
      console.log(`keys share owned by uid 501: readiness gave up ${seconds(loginFrom)} s after sshd greeted (${seconds(booted.spawnedAt)} s after spawn)`);
      expect(failure).toBeInstanceOf(ReadinessError);
      const error = failure as ReadinessError;
      // Not the timeout's words: the verdict, as soon as sshd had refused a few times.
      expect(error.probe).toBe('ssh login');
      expect(error.fatal).toBe(true);
      expect(error.message).toBe(
        'The guest\'s sshd (StrictModes) refused /var/keys/builder_ed25519.pub, which the guest sees owned by uid 501: '
        + `the keys share shows the guest the owners on this machine, and ${path.join(userKeys, 'builder_ed25519.pub')} belongs to uid 501 here.`,
      );
      expect(error.hint).toMatch(/root-owned, through the Nix store/);
      // The guest agrees: its sshd logged the refusal, and saw the uid.
      expect(console_).toContain('Authentication refused: bad ownership or modes for file /var/keys/builder_ed25519.pub');
      expect(console_).toContain('builder-bar: keys share mounted at /var/keys (owner uid 501)');
      await powerOff(booted, null);
    });
  });

  it('keeps /nix across a reboot and answers with the new boot\'s marker', async () => {
    const booted = await boot();
    await onBoot(booted, async () => {
      const guest = await ready(booted, linuxTestKeysShare(files));
      // The outputs the first boot built are still valid store paths in the guest.
      const paths = await guest.session.exec('ls /nix/store | grep -c bb-success');
      expect(Number(paths.stdout.trim())).toBeGreaterThanOrEqual(2);
      await powerOff(booted, guest);
      const console_ = await readFile(files.consoleLog, 'utf8');
      expect(console_).not.toContain('formatting the /nix disk');
    });
  });
});

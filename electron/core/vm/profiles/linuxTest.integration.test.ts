// The linux-test guest for real: build (then reuse) the image, prepare a boot with fresh keys
// and a marker, run QEMU with the profile's launch plan, log in with OpenSSH pinning the
// install's host key, see the marker and Nix, stop with the ACPI power button over QMP, and
// see the store disk keep a file across a reboot.
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedGuest, VmFiles } from '../profile.js';
import { ensureLinuxTestImage } from '../guest-image/linuxTestImage.js';
import { linuxTestProfile } from './linuxTest.js';
import { generateEd25519KeyPair } from '../ed25519KeyPair.js';

let stateDir = '';
let files: VmFiles;
let clientKeyFile = '';
let knownHostsFile = '';
let hostPort = 0;
let clientPublicKey = '';
let hostPrivateKey = '';
const running = new Set<ResultPromise>();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A minimal QMP client: greeting, capabilities, one command, its reply. */
async function qmp(socketPath: string, command: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let buffer = '';
    let stage = 0;
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const message = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
        buffer = buffer.slice(newline + 1);
        if ('QMP' in message && stage === 0) {
          stage = 1;
          socket.write('{"execute":"qmp_capabilities"}\n');
        } else if ('return' in message && stage === 1) {
          stage = 2;
          socket.write(`${JSON.stringify({ execute: command })}\n`);
        } else if (('return' in message || 'error' in message) && stage === 2) {
          socket.end();
          resolve(message);
        }
      }
    });
  });
}

async function boot(marker: string): Promise<{ qemu: ResultPromise; prepared: PreparedGuest; bootSeconds: number }> {
  const reports: string[] = [];
  const prepared = await linuxTestProfile.prepare({
    cacheDir: path.join(stateDir, 'images'),
    files,
    keys: { clientPublicKey, hostPrivateKey },
    bootMarker: marker,
    diskGiB: 2,
    report: (message) => reports.push(message),
  });
  const plan = linuxTestProfile.launchPlan({
    qemuBinary: 'qemu-system-x86_64', accelerator: 'tcg', cpus: 2, memoryMiB: 1024, hostPort, files, prepared, bootMarker: marker,
  });
  const started = Date.now();
  const qemu = execa(plan.command, plan.args, {
    cwd: plan.cwd, env: plan.env, stdin: 'ignore', stdout: 'ignore', stderr: { file: files.qemuLog, append: true }, reject: false,
  });
  running.add(qemu);
  // reject: false: the promise settles with QEMU's end, never with a rejection.
  qemu.finally(() => running.delete(qemu)).catch(() => undefined);
  return { qemu, prepared, bootSeconds: (Date.now() - started) / 1000 };
}

function sshArgs(command: string): string[] {
  return [
    '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=3', '-o', 'IdentitiesOnly=yes',
    '-i', clientKeyFile, '-p', String(hostPort), `${linuxTestProfile.sshUser}@127.0.0.1`, command,
  ];
}

/** Retries the readiness command until it succeeds, like a bare start-to-ready loop. */
async function waitForReady(qemu: ResultPromise, limitMs: number): Promise<{ stdout: string; ms: number }> {
  const started = Date.now();
  let exited = false;
  qemu.finally(() => { exited = true; }).catch(() => undefined);
  while (Date.now() - started < limitMs) {
    if (exited) throw new Error(`QEMU exited during boot:\n${await readFile(files.qemuLog, 'utf8').catch(() => '')}`);
    const result = await execa('ssh', sshArgs(linuxTestProfile.readinessCommand), { reject: false, timeout: 10_000 });
    if (result.exitCode === 0) return { stdout: result.stdout, ms: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`no ssh after ${limitMs} ms; console:\n${await readFile(files.consoleLog, 'utf8').catch(() => '')}`);
}

async function powerDownAndWait(qemu: ResultPromise): Promise<{ exitCode: number | undefined; ms: number }> {
  const started = Date.now();
  await qmp(files.qmpSocket, 'system_powerdown');
  const result = await Promise.race([
    qemu,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000)),
  ]);
  if (result === null) throw new Error('QEMU did not exit within 60 s of system_powerdown');
  return { exitCode: result.exitCode, ms: Date.now() - started };
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'builder-bar-linux-test-'));
  const vmDir = path.join(stateDir, 'vm');
  const keysDir = path.join(stateDir, 'keys');
  await mkdir(vmDir, { mode: 0o700 });
  await mkdir(keysDir, { mode: 0o700 });
  files = {
    vmDir,
    qmpSocket: path.join(vmDir, 'qmp.sock'),
    consoleLog: path.join(vmDir, 'console.log'),
    qemuLog: path.join(vmDir, 'qemu.log'),
    pidFile: path.join(vmDir, 'qemu.pid'),
    diskImage: path.join(vmDir, 'nix-disk.qcow2'),
  };
  const client = generateEd25519KeyPair('builder-bar test client');
  const host = generateEd25519KeyPair('builder-bar test guest');
  clientPublicKey = client.public;
  hostPrivateKey = host.private;
  clientKeyFile = path.join(keysDir, 'client_ed25519');
  await writeFile(clientKeyFile, client.private, { mode: 0o600 });
  await chmod(clientKeyFile, 0o600);
  hostPort = await freePort();
  knownHostsFile = path.join(keysDir, 'known_hosts');
  const [type, blob] = host.public.split(' ');
  await writeFile(knownHostsFile, `[127.0.0.1]:${hostPort} ${type} ${blob}\n`);
});

afterAll(async () => {
  for (const qemu of running) qemu.kill('SIGKILL');
  await Promise.allSettled([...running]);
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('linux-test guest (real QEMU under TCG)', () => {
  it('builds the image once and reuses it while its inputs are unchanged', async () => {
    const imagesDir = path.join(stateDir, 'images');
    const reports: string[] = [];
    let started = Date.now();
    const first = await ensureLinuxTestImage({ imagesDir, report: (m) => reports.push(m) });
    const firstMs = Date.now() - started;
    started = Date.now();
    const second = await ensureLinuxTestImage({ imagesDir, report: (m) => reports.push(m) });
    const secondMs = Date.now() - started;
    console.log(`image build: first ${firstMs} ms (built=${first.built}), cached ${secondMs} ms`);
    expect(first.built).toBe(true);
    expect(second).toEqual({ ...first, built: false });
    expect(path.basename(first.dir)).toBe(`linux-test-${first.hash}`);
    expect(reports.some((m) => m.startsWith('Building the linux-test guest image'))).toBe(true);
  });

  it('boots to a pinned-key ssh login that prints this boot\'s marker and Nix, then powers off cleanly', async () => {
    const marker = `boot-${randomBytes(8).toString('hex')}`;
    const { qemu } = await boot(marker);
    const ready = await waitForReady(qemu, 180_000);
    console.log(`boot to ssh readiness under TCG: ${ready.ms} ms`);
    const lines = ready.stdout.split('\n');
    expect(lines[0]).toBe(marker);
    expect(lines[1]).toMatch(/^nix-store \(Nix\) \d+\.\d+/);

    const store = await execa('ssh', sshArgs('touch /nix/store/.builder-bar-probe && rm /nix/store/.builder-bar-probe && grep " /nix " /proc/mounts && echo persisted > /nix/var/builder-bar-persist'), { reject: false });
    expect(store.stderr).toBe('');
    expect(store.stdout).toMatch(/^\/dev\/vda \/nix ext4 /);

    const off = await powerDownAndWait(qemu);
    console.log(`system_powerdown to QEMU exit: ${off.ms} ms`);
    expect(off.exitCode).toBe(0);
    const console_ = await readFile(files.consoleLog, 'utf8');
    expect(console_).toContain('builder-bar: network up');
    expect(console_).toContain('builder-bar: sshd up');
    expect(console_).toContain('builder-bar: /nix disk unmounted cleanly');
  });

  it('keeps /nix across a reboot and answers with the new boot\'s marker', async () => {
    const marker = `boot-${randomBytes(8).toString('hex')}`;
    const { qemu } = await boot(marker);
    const ready = await waitForReady(qemu, 180_000);
    expect(ready.stdout.split('\n')[0]).toBe(marker);
    const persisted = await execa('ssh', sshArgs('cat /nix/var/builder-bar-persist'), { reject: false });
    expect(persisted.stdout).toBe('persisted');
    const off = await powerDownAndWait(qemu);
    expect(off.exitCode).toBe(0);
    const console_ = await readFile(files.consoleLog, 'utf8');
    // Formatted on the first boot only: the second found its filesystem and kept it.
    expect(console_.match(/formatting the \/nix disk/g)).toHaveLength(1);
  });
});

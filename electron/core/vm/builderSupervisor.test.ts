/**
 * The supervisor's behaviour that needs no guest: refusals before launch, stale-file cleanup
 * and the disk size. Booting, readiness, crash restarts and adoption run against the real
 * QEMU guest in builderSupervisor.integration.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLevel, LogSource, Settings, Status } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import { statePaths, type StatePaths } from '../paths.js';
import { defaultSettings } from '../settings/defaults.js';
import { BuilderSupervisor } from './builderSupervisor.js';
import { inertProfile as profile } from './testing/inertProfile.js';
import { vmFilesIn, writeBootRecord } from './vmFiles.js';
import { testBootRecord } from './testing/bootRecords.js';

interface Logged {
  source: LogSource;
  level: LogLevel;
  text: string;
}

let root: string;
let paths: StatePaths;
let logged: Logged[];
let settings: Settings;
const servers: net.Server[] = [];

function supervisor(builderProfile = profile()): BuilderSupervisor {
  return new BuilderSupervisor({
    paths,
    getSettings: () => settings,
    logs: { append: (source, level, text) => logged.push({ source, level, text }) },
    resolveProfile: () => builderProfile,
    chooseAccelerator: async () => ({ name: 'tcg', reason: 'unit test' }),
    platform: process.platform,
  });
}

async function listenOnLoopback(): Promise<number> {
  const server = net.createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-sup-'));
  paths = statePaths({ stateDir: root });
  logged = [];
  settings = defaultSettings('linux');
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  rmSync(root, { recursive: true, force: true });
});

describe('BuilderSupervisor without a guest', () => {
  it('starts out stopped with every status field filled', () => {
    const status = supervisor().status();
    expect(status).toMatchObject({ state: 'stopped', profile: 'linux-test', pid: null, error: null, adopted: false });
    expect(status.restart).toEqual({ attempts: 0, nextAt: null, gaveUp: false });
  });

  it('refuses a start on a taken port with an error naming the port, shows it in the status, and does not retry', async () => {
    const port = await listenOnLoopback();
    settings = { ...settings, hostPort: port, hostPortAuto: false };
    const builder = supervisor();
    const statuses: Status[] = [];
    builder.onStatus((status) => statuses.push(status));
    const error = await builder.start({ wait: true }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BuilderBarError);
    expect((error as BuilderBarError).code).toBe('port-in-use');
    expect((error as BuilderBarError).message).toContain(`Port ${port} on 127.0.0.1 is in use by`);
    await builder.settled();
    const status = builder.status();
    expect(status.state).toBe('error');
    expect(status.error?.message).toContain(`Port ${port}`);
    expect(status.restart.nextAt).toBeNull();
    expect(statuses.map((s) => s.state)).toContain('starting');
    // The stop from error clears it.
    await expect(builder.stop()).resolves.toMatchObject({ state: 'stopped', error: null });
  });

  it('says QEMU is missing and how to install it', async () => {
    settings = { ...settings, hostPort: await freePort() };
    const builder = supervisor(profile({ qemuBinaryName: 'qemu-system-does-not-exist' }));
    const error = (await builder.start({}).catch((caught: unknown) => caught)) as BuilderBarError;
    expect(error.code).toBe('vm-failed');
    expect(error.message).toMatch(/qemu-system-does-not-exist was not found/);
    expect(error.hint).toMatch(/Install QEMU/);
    await builder.settled();
    expect(builder.status().state).toBe('error');
  });

  it('treats stop from stopped as a no-op and refuses exec until ready', async () => {
    const builder = supervisor();
    await expect(builder.stop({ force: true })).resolves.toMatchObject({ state: 'stopped' });
    await expect(builder.exec('uname -a')).rejects.toMatchObject({ code: 'vm-failed', message: expect.stringMatching(/not ready/) });
  });

  it('removes a stale pid file whose process is not QEMU, and stays stopped', async () => {
    const files = vmFilesIn(paths.vmDir);
    mkdirSync(paths.vmDir, { recursive: true });
    // This test runner's own pid: alive, but not QEMU.
    await writeBootRecord(files, testBootRecord(process.pid));
    writeFileSync(files.qmpSocket, '');
    const builder = supervisor();
    await builder.recover();
    expect(builder.status().state).toBe('stopped');
    expect(existsSync(files.pidFile)).toBe(false);
    expect(existsSync(files.qmpSocket)).toBe(false);
    expect(logged.some((line) => line.source === 'app' && /stale pid file: pid \d+ is not qemu-system-x86_64/.test(line.text))).toBe(true);
  });

  it('removes a pid file of a process that is gone', async () => {
    const files = vmFilesIn(paths.vmDir);
    mkdirSync(paths.vmDir, { recursive: true });
    const gone = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(files.pidFile, `${gone}\n`);
    const builder = supervisor();
    await builder.recover();
    expect(existsSync(files.pidFile)).toBe(false);
    expect(logged.some((line) => /is no longer running/.test(line.text))).toBe(true);
  });

  it('reads the size of an existing qcow2 disk, and null before there is one', async () => {
    const builder = supervisor();
    await expect(builder.diskSizeGiB()).resolves.toBeNull();
    mkdirSync(paths.vmDir, { recursive: true });
    try {
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', vmFilesIn(paths.vmDir).diskImage, '3G']);
    } catch {
      return; // qemu-img missing: the integration tests cover disks on machines with QEMU
    }
    await expect(builder.diskSizeGiB()).resolves.toBe(3);
  });
});

describe('BuilderSupervisor when QEMU ends and the state dir refuses the cleanup', () => {
  it('still shows the failure (not a builder stuck starting) and logs what it could not remove', async () => {
    settings = { ...settings, hostPort: await freePort(), restartPolicy: { ...settings.restartPolicy, enabled: false } };
    const files = vmFilesIn(paths.vmDir);
    // A stand-in for QEMU that, once the supervisor has written its pid file and is waiting for
    // the guest, leaves a directory where that file was (removing it fails, as on a state dir
    // gone read-only), then exits.
    const builder = supervisor(
      profile({
        qemuBinaryName: 'sh',
        prepare: async () => ({ kernel: null, initrd: null, extra: {} }),
        launchPlan: () => ({ command: '/bin/sh', args: ['-c', 'sleep 2; rm -f "$1"; mkdir -p "$1/x"; exit 3', 'sh', files.pidFile], cwd: root, env: {} }),
      }),
    );
    // The boot ends when QEMU does; the failure is reported just after, so wait for it (bounded).
    const errored = new Promise<Status>((resolve) => {
      builder.onStatus((next) => {
        if (next.state === 'error') resolve(next);
      });
      setTimeout(() => resolve(builder.status()), 20_000).unref();
    });
    await builder.start({}).catch(() => undefined);
    const status = await errored;
    expect(status.state).toBe('error');
    expect(status.error?.message).toMatch(/QEMU|qemu|exit|code 3/);
    expect(logged.some((line) => line.level === 'error' && line.text.includes("Could not remove the dead VM's pid file"))).toBe(true);
  }, 30_000);
});

async function freePort(): Promise<number> {
  const port = await listenOnLoopback();
  const server = servers.pop();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  return port;
}

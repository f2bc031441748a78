/**
 * The supervisor against the real thing: QEMU under TCG booting the linux-test guest, real ssh,
 * real Nix in the guest. Boots are shared where a test stays honest (each TCG boot costs
 * ~12 s or more on this 2-core machine), and every QEMU started here is killed in afterAll.
 */
import { waitForStatus as waitForStatusOf } from './testing/waitForStatus.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLevel, LogSource, Settings, Status } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import { statePaths, type StatePaths } from '../paths.js';
import { defaultSettings } from '../settings/defaults.js';
import { BuilderSupervisor, type SupervisorTiming } from './builderSupervisor.js';
import { HOST_KEY_FILE } from './keyStore.js';
import { linuxTestProfile } from './profiles/linuxTest.js';
import { isProcessAlive } from './qemuProcess.js';
import { readPidFile, vmFilesIn } from './vmFiles.js';
import { generateEd25519KeyPair } from './ed25519KeyPair.js';

interface Logged {
  source: LogSource;
  level: LogLevel;
  text: string;
  at: number;
}

const timing: Partial<SupervisorTiming> = { gracefulStopMs: 20_000, statsIntervalMs: 1_000 };

let root: string;
let paths: StatePaths;
let settings: Settings;
const logged: Logged[] = [];
const supervisors: BuilderSupervisor[] = [];
const blockers: net.Server[] = [];
/** Every QEMU pid seen, killed in afterAll whatever happened. */
const qemuPids = new Set<number>();

function makeSupervisor(): BuilderSupervisor {
  const supervisor = new BuilderSupervisor({
    paths,
    getSettings: () => settings,
    logs: { append: (source, level, text) => logged.push({ source, level, text, at: Date.now() }) },
    resolveProfile: () => linuxTestProfile,
    // kvm hangs or aborts on these machines (FACTS.md section 4); the probe is the accelerator
    // module's to test. Here the guest runs under tcg, as it would after a failed probe.
    chooseAccelerator: async () => ({ name: 'tcg', reason: 'integration test: kvm does not work on this machine' }),
    timing,
  });
  supervisor.onStatus((status) => {
    if (status.pid !== null) qemuPids.add(status.pid);
  });
  supervisors.push(supervisor);
  return supervisor;
}

function waitForStatus(supervisor: BuilderSupervisor, predicate: (status: Status) => boolean, timeoutMs = 240_000): Promise<Status> {
  return waitForStatusOf(supervisor, predicate, timeoutMs);
}

async function occupy(port: number): Promise<net.Server> {
  const server = net.createServer();
  blockers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => resolve());
  });
  return server;
}

/** A port that is free now, and the one after it too (the auto-port test uses both). */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const first = await occupy(port).catch(() => null);
    const second = first ? await occupy(port + 1).catch(() => null) : null;
    for (const server of [first, second]) {
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    blockers.splice(0);
    if (first && second) return port;
  }
  throw new Error('no free port pair found');
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-int-'));
  paths = statePaths({ stateDir: root });
  settings = { ...defaultSettings('linux'), cpus: 1, memoryMiB: 1024, diskGiB: 2, hostPort: await freePortPair() };
});

afterAll(async () => {
  for (const supervisor of supervisors) await supervisor.close({ stopBuilder: false }).catch(() => undefined);
  const fromFile = await readPidFile(vmFilesIn(paths.vmDir));
  if (fromFile !== null) qemuPids.add(fromFile);
  for (const pid of qemuPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const server of blockers) server.close();
  // Images are cached per state dir; the build takes a while, but a test must not leave it behind.
  if (process.env.BUILDER_BAR_KEEP_TEST_STATE) console.log(`state dir kept for inspection: ${root}`);
  else rmSync(root, { recursive: true, force: true });
});

describe('the builder supervisor on the real linux-test guest', () => {
  let first: BuilderSupervisor;
  let readyPid: number;

  it('refuses a taken port with hostPortAuto off, naming the port and this process as its holder', async () => {
    first = makeSupervisor();
    await occupy(settings.hostPort);
    const error = (await first.start({ wait: true }).catch((caught: unknown) => caught)) as BuilderBarError;
    expect(error).toBeInstanceOf(BuilderBarError);
    expect(error.code).toBe('port-in-use');
    expect(error.message).toContain(`Port ${settings.hostPort} on 127.0.0.1 is in use by`);
    expect(error.message).toContain(`(pid ${process.pid})`);
    await first.settled();
    expect(first.status()).toMatchObject({ state: 'error', pid: null, restart: { nextAt: null } });
  });

  it('with hostPortAuto on, boots on the next free port: start -> ready, then a command over ssh shows Linux', async () => {
    settings = { ...settings, hostPortAuto: true };
    const seen: string[] = [];
    const unsubscribe = first.onStatus((status) => {
      if (seen[seen.length - 1] !== status.state) seen.push(status.state);
    });
    const started = Date.now();
    const status = await first.start({ wait: true, timeoutMs: 280_000 });
    const tookMs = Date.now() - started;
    unsubscribe();
    console.log(`first start-to-ready in a fresh state dir (includes building the guest image): ${(tookMs / 1000).toFixed(1)} s`);

    expect(status.state).toBe('ready');
    expect(seen).toEqual(['starting', 'ready']);
    expect(status.sshPort).toBe(settings.hostPort + 1);
    expect(status.detail).toContain(`Port ${settings.hostPort} on 127.0.0.1 is in use`);
    expect(status.accelerator).toEqual({ name: 'tcg', reason: expect.stringContaining('kvm') });
    expect(status.hostKey?.weakness).toBeNull();
    const pinned = readFileSync(path.join(paths.keysDir, `${HOST_KEY_FILE}.pub`), 'utf8').trim();
    expect(status.hostKey?.publicKey).toBe(pinned);
    expect(status.pid).not.toBeNull();
    readyPid = status.pid ?? 0;
    expect(isProcessAlive(readyPid)).toBe(true);
    expect(await readPidFile(vmFilesIn(paths.vmDir))).toBe(readyPid);

    const uname = await first.exec('uname -a');
    expect(uname.code).toBe(0);
    expect(uname.stdout).toMatch(/^Linux /);
    const nix = await first.exec('nix-store --version');
    expect(nix.stdout).toMatch(/nix-store \(Nix\) \d/);

    const withStats = await waitForStatus(first, (s) => s.guest !== null, 30_000);
    expect(withStats.guest?.memory.totalBytes).toBeGreaterThan(500 * 1024 * 1024);
    expect(withStats.guest?.uptimeSeconds).toBeGreaterThan(0);
    expect(withStats.guest?.disk.totalBytes).toBeGreaterThan(0);

    expect(logged.some((line) => line.source === 'vm-console' && line.text.length > 0)).toBe(true);
    expect(logged.some((line) => line.source === 'app' && /Builder ready in/.test(line.text))).toBe(true);
    for (const server of blockers.splice(0)) server.close();
  });

  it('after kill -9 of QEMU: error with the signal and console lines, then an automatic restart to ready', async () => {
    // No sync first: the guest creates and flushes Nix's database at boot, so a kill -9 right
    // after a first boot must not leave /nix unusable (it once did).
    const errored = waitForStatus(first, (s) => s.state === 'error', 30_000);
    process.kill(readyPid, 'SIGKILL');
    const error = await errored;
    expect(error.error?.signal).toBe('SIGKILL');
    expect(error.error?.message).toMatch(/killed by SIGKILL/);
    expect(error.error?.consoleTail.length).toBeGreaterThan(0);
    const scheduled = await waitForStatus(first, (s) => s.restart.nextAt !== null, 5_000);
    expect(scheduled.state).toBe('error');
    expect(scheduled.detail).toMatch(/killed by SIGKILL/);

    const restarting = await waitForStatus(first, (s) => s.state === 'starting', 30_000);
    const ready = await waitForStatus(first, (s) => s.state === 'ready', 240_000);
    console.log(`automatic restart, starting-to-ready with the image cached: ${((ready.since - restarting.since) / 1000).toFixed(1)} s`);
    expect(ready.pid).not.toBe(readyPid);
    expect(ready.restart.attempts).toBe(1);
    expect(ready.error).toBeNull();
    readyPid = ready.pid ?? 0;
    expect((await first.exec('cat /proc/version')).stdout).toMatch(/Linux version/);
  });

  it('a new core adopts the running VM after the old one let go of it, and stops it', async () => {
    // The restart found the configured port free again (the blocker is gone) and used it.
    const portBefore = first.status().sshPort;
    expect(portBefore).toBe(settings.hostPort);
    await first.close({ stopBuilder: false });
    expect(isProcessAlive(readyPid)).toBe(true);

    const second = makeSupervisor();
    await second.recover();
    expect(second.status()).toMatchObject({ state: 'starting', adopted: true, pid: readyPid });
    const ready = await waitForStatus(second, (s) => s.state === 'ready', 60_000);
    expect(ready).toMatchObject({ adopted: true, pid: readyPid, sshPort: portBefore });
    expect((await second.exec('echo adopted')).stdout).toBe('adopted\n');

    // After a system resume the core asks for a fresh check: the builder goes through the
    // probes again (starting) and comes back ready on the same QEMU.
    const states: string[] = [];
    const unsubscribe = second.onStatus((status) => {
      if (states[states.length - 1] !== status.state) states.push(status.state);
    });
    await second.probeAgain();
    unsubscribe();
    expect(states).toEqual(['starting', 'ready']);
    expect(second.status()).toMatchObject({ state: 'ready', pid: readyPid });

    const stopStarted = Date.now();
    const stopped = await second.stop();
    console.log(`graceful stop took ${((Date.now() - stopStarted) / 1000).toFixed(1)} s`);
    expect(stopped).toMatchObject({ state: 'stopped', pid: null, error: null, adopted: false });
    expect(isProcessAlive(readyPid)).toBe(false);
    expect(await readPidFile(vmFilesIn(paths.vmDir))).toBeNull();
    // A VM the user stopped is never restarted.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(second.status().state).toBe('stopped');
  });

  it('a stop during starting aborts the boot and ends QEMU', async () => {
    const third = makeSupervisor();
    await third.start({});
    const booting = await waitForStatus(third, (s) => s.pid !== null, 120_000);
    const pid = booting.pid ?? 0;
    expect(booting.state).toBe('starting');
    const stopped = await third.stop({ force: true });
    expect(stopped.state).toBe('stopped');
    expect(isProcessAlive(pid)).toBe(false);
  });

  it('refuses a guest whose host key is not the pinned one, with both fingerprints, and does not retry', async () => {
    const third = supervisors[supervisors.length - 1] as BuilderSupervisor;
    const pinFile = path.join(paths.keysDir, `${HOST_KEY_FILE}.pub`);
    const original = readFileSync(pinFile, 'utf8');
    const other = generateEd25519KeyPair();
    writeFileSync(pinFile, `${other.public}\n`);
    try {
      const error = (await third.start({ wait: true, timeoutMs: 240_000 }).catch((caught: unknown) => caught)) as BuilderBarError;
      expect(error).toBeInstanceOf(BuilderBarError);
      expect(error.code).toBe('vm-failed');
      expect(error.message).toMatch(/Host key mismatch: the guest presented SHA256:\S+, but SHA256:\S+ is pinned/);
      await third.settled();
      const status = third.status();
      expect(status.state).toBe('error');
      expect(status.error?.message).toContain('Host key mismatch');
      expect(status.restart.nextAt).toBeNull();
      expect(status.pid).toBeNull();
      for (const pid of qemuPids) expect(isProcessAlive(pid)).toBe(false);
    } finally {
      writeFileSync(pinFile, original);
    }
  });
});

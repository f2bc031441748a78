/**
 * Snapshots and the guest clock on the real linux-test guest under TCG, through the supervisor:
 * a cold boot saves the guest at its snapshot line; stop and start restore it, ready with this
 * start's marker; what was added to the store after the snapshot is still there; the clock is
 * within 1 s of the host after a restore and after QEMU was paused; a snapshot whose bytes were
 * altered, or taken with other settings, ends in a cold boot with a log line; a QEMU killed while
 * it restores is a crash, restarted from the snapshot it kept; a restored guest that never answers
 * ends in a cold boot in the same start, and one that ends by itself (a reset, a panic) in a cold
 * boot at the restart. One QEMU at a time.
 */
import { waitForStatus as waitForStatusOf } from '../testing/waitForStatus.js';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLevel, LogSource, Settings, Status } from '../../../ipc/contract.js';
import { statePaths, type StatePaths } from '../../paths.js';
import { defaultSettings } from '../../settings/defaults.js';
import { BuilderSupervisor } from '../builderSupervisor.js';
import { linuxTestProfile } from '../profiles/linuxTest.js';
import { freeLoopbackPort } from '../testing/freeLoopbackPort.js';
import { QmpClient } from '../qmpClient.js';
import { readBootRecord, readPidFile, RUN_DIR_FILES, vmFilesIn } from '../vmFiles.js';
import { clockOffsetMs, guestClockCommand, parseGuestTimeMs } from './guestClock.js';
import { snapshotFilesIn } from './snapshotStore.js';

interface Logged {
  source: LogSource;
  level: LogLevel;
  text: string;
}

let root: string;
let paths: StatePaths;
let settings: Settings;
let supervisor: BuilderSupervisor;
const logged: Logged[] = [];
const qemuPids = new Set<number>();

function waitForStatus(predicate: (status: Status) => boolean, timeoutMs: number): Promise<Status> {
  return waitForStatusOf(supervisor, predicate, timeoutMs);
}

/** Lines logged from `from` on that match. */
function loggedSince(from: number, pattern: RegExp): string[] {
  return logged.slice(from).filter((line) => line.source === 'app' && pattern.test(line.text)).map((line) => line.text);
}

async function startReady(): Promise<{ status: Status; marker: string; tookMs: number }> {
  const started = Date.now();
  const status = await supervisor.start({ wait: true, timeoutMs: 280_000 });
  const tookMs = Date.now() - started;
  expect(status.state).toBe('ready');
  const record = await readBootRecord(vmFilesIn(paths.vmDir));
  expect(record).not.toBeNull();
  return { status, marker: record?.bootMarker ?? '', tookMs };
}

/** The guest's clock minus the host's, measured over the ready ssh session. */
async function measuredOffsetMs(): Promise<number> {
  const before = Date.now();
  const result = await supervisor.exec(guestClockCommand);
  const after = Date.now();
  const guest = parseGuestTimeMs(result.stdout.split('--builder-bar-clock--').pop() ?? '');
  expect(guest).not.toBeNull();
  return clockOffsetMs(guest ?? 0, before, after);
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-snap-'));
  paths = statePaths({ stateDir: root });
  settings = { ...defaultSettings('linux'), cpus: 1, memoryMiB: 1024, diskGiB: 2, hostPort: await freeLoopbackPort() };
  supervisor = new BuilderSupervisor({
    paths,
    getSettings: () => settings,
    logs: { append: (source, level, text) => logged.push({ source, level, text }) },
    resolveProfile: () => linuxTestProfile,
    chooseAccelerator: async () => ({ name: 'tcg', reason: 'integration test: kvm does not work on this machine' }),
    // A restore is ready in seconds; 30 s lets the silent-restore case below end in a cold boot soon.
    timing: { statsIntervalMs: 1_000, restoredReadyMs: 30_000 },
  });
  supervisor.onStatus((status) => {
    if (status.pid !== null) qemuPids.add(status.pid);
  });
});

afterAll(async () => {
  await supervisor.close({ stopBuilder: false }).catch(() => undefined);
  const fromFile = await readPidFile(vmFilesIn(paths.vmDir));
  if (fromFile !== null) qemuPids.add(fromFile);
  for (const pid of qemuPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (process.env.BUILDER_BAR_KEEP_TEST_STATE) console.log(`state dir kept for inspection: ${root}`);
  else rmSync(root, { recursive: true, force: true });
});

describe('snapshots of the linux-test guest', () => {
  const snapshot = (): ReturnType<typeof snapshotFilesIn> => snapshotFilesIn(paths.vmDir);
  let storePath = '';
  let coldMs = 0;

  it('a cold boot saves a snapshot at the snapshot line and is ready; a file added to the store after it', async () => {
    const from = logged.length;
    const { tookMs } = await startReady();
    coldMs = tookMs;
    expect(loggedSince(from, /^Saved a snapshot of the builder/)).toHaveLength(1);
    const record = JSON.parse(await fs.readFile(snapshot().record, 'utf8')) as { keys: { cpus: number; memoryMiB: number }; sizeBytes: number };
    expect(record.keys).toMatchObject({ cpus: 1, memoryMiB: 1024 });
    expect((await fs.stat(snapshot().state)).size).toBe(record.sizeBytes);
    // Made after the snapshot: a restore that rolled the disk back, or met a stale view of it, loses it.
    const added = await supervisor.exec(`echo "made after the snapshot $(date +%s) $$" > /tmp/after && nix-store --add /tmp/after && sync`);
    expect(added.code).toBe(0);
    storePath = added.stdout.trim();
    expect(storePath).toMatch(/^\/nix\/store\/[a-z0-9]{32}-after$/);
  });

  it('stop and start restore it: ready with this start\'s marker, the store path still there, the clock within 1 s', async () => {
    const previous = (await readBootRecord(vmFilesIn(paths.vmDir)))?.bootMarker;
    await supervisor.stop();
    // Long enough that a guest resumed with the snapshot's clock would be seconds off.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const from = logged.length;
    const { marker, tookMs } = await startReady();
    console.log(`stopped -> ready: cold ${(coldMs / 1000).toFixed(1)} s, restore ${(tookMs / 1000).toFixed(1)} s`);
    expect(loggedSince(from, /^Restored the builder's snapshot/)).toHaveLength(1);
    expect(loggedSince(from, /^Saved a snapshot/)).toHaveLength(0);
    expect(marker).not.toBe(previous);
    expect((await supervisor.exec('cat /run/builder-bar/boot-marker')).stdout.trim()).toBe(marker);
    const verified = await supervisor.exec(`nix-store --verify-path ${storePath} && cat ${storePath}`);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^made after the snapshot/);
    expect(Math.abs(await measuredOffsetMs())).toBeLessThan(1_000);
  });

  it('after QEMU was paused (SIGSTOP, SIGCONT) the stats show the clock within 1 s again', async () => {
    const pid = supervisor.status().pid ?? 0;
    process.kill(pid, 'SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const resumedAt = Date.now();
    process.kill(pid, 'SIGCONT');
    const sample = await waitForStatus((s) => (s.guest?.sampledAt ?? 0) > resumedAt + 2_000 && s.guest?.clockOffsetMs !== undefined && s.guest.clockOffsetMs !== null, 60_000);
    const offsets = logged.filter((line) => /guest's clock/.test(line.text)).map((line) => line.text);
    console.log(`after SIGSTOP 5 s / SIGCONT: offset ${sample.guest?.clockOffsetMs} ms; ${offsets.join(' | ') || 'no correction logged'}`);
    expect(Math.abs(sample.guest?.clockOffsetMs ?? Infinity)).toBeLessThan(1_000);
    expect(Math.abs(await measuredOffsetMs())).toBeLessThan(1_000);
  });

  it('a snapshot whose bytes were altered is never run: a cold boot with a log line, the store intact, a new snapshot', async () => {
    await supervisor.stop();
    const file = await fs.open(snapshot().state, 'r+');
    const { size } = await file.stat();
    await file.write(Buffer.from('builder-bar test: not what was saved'), 0, undefined, Math.floor(size / 2));
    await file.close();
    const from = logged.length;
    await startReady();
    expect(loggedSince(from, /^Could not restore the builder's snapshot: the state file does not match its record/)).toHaveLength(1);
    expect(loggedSince(from, /^Saved a snapshot of the builder/)).toHaveLength(1);
    expect((await supervisor.exec(`nix-store --verify-path ${storePath}`)).code).toBe(0);
  });

  it('a setting changed while a snapshot exists drops it, saying why, and boots cold', async () => {
    await supervisor.stop();
    settings = { ...settings, memoryMiB: 1280 };
    const from = logged.length;
    await startReady();
    expect(loggedSince(from, /^Dropped the builder's snapshot: it was taken with other settings \(the memory size changed from 1024 to 1280\)/)).toHaveLength(1);
    expect(loggedSince(from, /^Saved a snapshot of the builder/)).toHaveLength(1);
    expect((await supervisor.exec(`nix-store --verify-path ${storePath}`)).code).toBe(0);
    await supervisor.stop();
  });

  it('a kill -9 of QEMU while it restores is a crash like any other: restarted from the snapshot it kept, ready again', async () => {
    const from = logged.length;
    const restoring = waitForStatus((status) => status.detail === 'restoring the snapshot' && status.pid !== null, 120_000);
    const started = supervisor.start();
    const { pid } = await restoring;
    process.kill(pid ?? 0, 'SIGKILL');
    await started;
    await waitForStatus((status) => status.state === 'ready', 280_000);
    expect(loggedSince(from, new RegExp(`^QEMU \\(pid ${pid}\\) was killed by SIGKILL while the builder was starting`))).toHaveLength(1);
    // Nothing was wrong with the snapshot: kept, and the restart restored it (no cold boot).
    expect(loggedSince(from, /^Could not restore the builder's snapshot/)).toEqual([]);
    expect(loggedSince(from, /^Saved a snapshot of the builder/)).toEqual([]);
    expect(loggedSince(from, /^Restored the builder's snapshot/).length).toBeGreaterThan(0);
    expect((await supervisor.exec(`nix-store --verify-path ${storePath}`)).code).toBe(0);
    await supervisor.stop();
  });

  it('a restored guest that never answers is not restored again: the snapshot is dropped, the same start boots cold', async () => {
    const from = logged.length;
    // Frozen the moment the restore is done and the guest is told to go on: silent from then on.
    let frozen: number | null = null;
    const unsubscribe = supervisor.onStatus((status) => {
      if (frozen === null && status.detail === 'mounting /nix and starting sshd in the guest' && status.pid !== null) {
        frozen = status.pid;
        process.kill(frozen, 'SIGSTOP');
      }
    });
    try {
      await startReady();
    } finally {
      unsubscribe();
    }
    expect(frozen).not.toBeNull();
    expect(loggedSince(from, /^The builder restored from its snapshot did not answer within 30 s: dropped the snapshot; ending it and booting cold/)).toHaveLength(1);
    expect(loggedSince(from, /^Saved a snapshot of the builder/)).toHaveLength(1);
    expect((await supervisor.status()).pid).not.toBe(frozen);
    expect((await supervisor.exec(`nix-store --verify-path ${storePath}`)).code).toBe(0);
    await supervisor.stop();
  });

  it('a restored guest that ends by itself (a reset, as a kernel panic does) drops the snapshot: the restart boots cold', async () => {
    const from = logged.length;
    // The reset QEMU's restore connection left free, the moment the guest is told to go on.
    let reset: Promise<void> | null = null;
    const unsubscribe = supervisor.onStatus((status) => {
      if (reset === null && status.detail === 'mounting /nix and starting sshd in the guest') {
        reset = QmpClient.connect(path.join(paths.vmDir, RUN_DIR_FILES.snapshotQmpSocket), 5_000).then(async (qmp) => {
          await qmp.execute('system_reset').catch(() => undefined);
          qmp.close();
        });
      }
    });
    try {
      await supervisor.start();
      await waitForStatus((status) => status.state === 'ready', 280_000);
    } finally {
      unsubscribe();
    }
    await reset;
    expect(loggedSince(from, /^QEMU \(pid \d+\) exited with code 0 while the builder was starting/)).toHaveLength(1);
    expect(loggedSince(from, /^The guest ended while it came back from the snapshot: dropped the snapshot/)).toHaveLength(1);
    expect(loggedSince(from, /^Saved a snapshot of the builder/)).toHaveLength(1);
    expect((await supervisor.exec(`nix-store --verify-path ${storePath}`)).code).toBe(0);
    await supervisor.stop();
  });
});

/**
 * The VM dir's files that are not what a core writes there: a FIFO where the boot record, the pid
 * file, the snapshot record or a log goes (a plain open of one blocks the core for ever, and
 * SIGTERM does not end it), a symbolic link where a log goes (truncating it truncated the file it
 * points to). The core starts, a start goes on, and nothing outside the state dir is touched.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Settings, Status } from '../../ipc/contract.js';
import { statePaths, type StatePaths } from '../paths.js';
import { defaultSettings } from '../settings/defaults.js';
import { BuilderSupervisor } from './builderSupervisor.js';
import type { BuilderProfile } from './profile.js';
import { snapshotFilesIn, usableSnapshot } from './snapshot/snapshotStore.js';
import { inertProfile } from './testing/inertProfile.js';
import { bootRecordPath, vmFilesIn } from './vmFiles.js';

let root: string;
let paths: StatePaths;
let settings: Settings;
let logged: string[];
const fifos: string[] = [];

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-ftype-'));
  paths = statePaths({ stateDir: path.join(root, 'state') });
  mkdirSync(paths.vmDir, { recursive: true });
  settings = defaultSettings('linux');
  logged = [];
});

afterEach(() => {
  // Code that still opens a FIFO plainly is blocked in a thread: opening the FIFO's other end
  // (O_RDWR opens both at once on Linux, without waiting) lets it go before the files are removed.
  for (const fifo of fifos.splice(0)) {
    try {
      closeSync(openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK));
    } catch {
      // removed meanwhile: nothing waits on it
    }
  }
  rmSync(root, { recursive: true, force: true });
});

function fifoAt(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('mkfifo', [file]);
  fifos.push(file);
}

function supervisor(profile: BuilderProfile = inertProfile()): BuilderSupervisor {
  return new BuilderSupervisor({
    paths,
    getSettings: () => settings,
    logs: { append: (_source, _level, text) => logged.push(text) },
    resolveProfile: () => profile,
    chooseAccelerator: async () => ({ name: 'tcg', reason: 'unit test' }),
    platform: process.platform,
  });
}

/** `work` or "hung": a blocked open never settles. */
function within<T>(ms: number, work: Promise<T>): Promise<T | 'hung'> {
  return Promise.race([work, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms).unref())]);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('VM files that are not regular files', () => {
  it('a FIFO as the boot record and another as the pid file do not keep the core from starting', async () => {
    const files = vmFilesIn(paths.vmDir);
    fifoAt(bootRecordPath(files));
    fifoAt(files.pidFile);
    const builder = supervisor();
    expect(await within(3_000, builder.recover())).not.toBe('hung');
    expect(builder.status().state).toBe('stopped');
    await builder.close({ stopBuilder: false });
  });

  it('a FIFO as the snapshot record drops the snapshot, saying so, instead of blocking the start', async () => {
    const snapshot = snapshotFilesIn(paths.vmDir);
    fifoAt(snapshot.record);
    writeFileSync(snapshot.state, 'a state');
    const said: string[] = [];
    const keys = { profile: 'linux-test', image: 'x', qemu: 'q', accelerator: 'tcg', cpus: 1, memoryMiB: 512, diskBytes: 1, hostKey: 'k', hostArch: 'linux-x64' };
    expect(await within(3_000, usableSnapshot(snapshot, keys, (_level, text) => void said.push(text)))).toBeNull();
    expect(said.join('\n')).toMatch(/Dropped the builder's snapshot: its record is a FIFO/);
    expect(existsSync(snapshot.record)).toBe(false);
    expect(existsSync(snapshot.state)).toBe(false);
  });

  it('a FIFO as the console log and a link as the QEMU log: the start goes on, and the linked file is untouched', async () => {
    settings = { ...settings, hostPort: await freePort(), restartPolicy: { ...settings.restartPolicy, enabled: false } };
    const files = vmFilesIn(paths.vmDir);
    fifoAt(files.consoleLog);
    const elsewhere = path.join(root, 'not-in-the-state-dir.txt');
    writeFileSync(elsewhere, 'precious\n');
    symlinkSync(elsewhere, files.qemuLog);
    // A stand-in for QEMU that says one thing and exits: the start reaches it and fails with it.
    const builder = supervisor(
      inertProfile({
        qemuBinaryName: 'sh',
        prepare: async () => ({ kernel: null, initrd: null, extra: {} }),
        launchPlan: () => ({ command: '/bin/sh', args: ['-c', 'echo stand-in QEMU gave up >&2; exit 3'], cwd: paths.vmDir, env: {} }),
      }),
    );
    const errored = new Promise<Status>((resolve) => builder.onStatus((next) => next.state === 'error' && resolve(next)));
    void builder.start({}).catch(() => undefined);
    const status = await within(15_000, errored);
    expect(status).not.toBe('hung');
    expect(readFileSync(elsewhere, 'utf8')).toBe('precious\n');
    expect(statSync(files.consoleLog).isFile()).toBe(true);
    expect(readFileSync(files.qemuLog, 'utf8')).toContain('stand-in QEMU gave up');
    await builder.close({ stopBuilder: true });
  }, 30_000);
});

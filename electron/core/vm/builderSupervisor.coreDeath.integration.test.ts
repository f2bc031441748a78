/**
 * The core dies (SIGKILL, no cleanup) while the builder runs: QEMU must survive it (it was
 * spawned detached, its output going to files, not pipes into the dead core), and the next
 * core adopts it from the pid file, the boot record and the QMP socket.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statePaths } from '../paths.js';
import { defaultSettings } from '../settings/defaults.js';
import { BuilderSupervisor } from './builderSupervisor.js';
import { defaultGuestResourcesDir } from './guest-image/linuxTestImage.js';
import { linuxTestProfile } from './profiles/linuxTest.js';
import { isProcessAlive } from './qemuProcess.js';
import { readPidFile, vmFilesIn } from './vmFiles.js';
import { freeLoopbackPort } from './testing/freeLoopbackPort.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// Made in beforeAll, not when the file loads: with every test here filtered out, no afterAll runs.
let root = '';
let stateDir = '';
const qemuPids = new Set<number>();
const cacheDir = path.resolve(here, '../../../node_modules/.cache/builder-bar-tests');
let adopter: BuilderSupervisor | null = null;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-death-'));
  stateDir = path.join(root, 'state');
});

afterAll(async () => {
  await adopter?.close({ stopBuilder: false }).catch(() => undefined);
  const fromFile = stateDir ? await readPidFile(vmFilesIn(statePaths({ stateDir }).vmDir)) : null;
  if (fromFile !== null) qemuPids.add(fromFile);
  for (const pid of qemuPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (root) rmSync(root, { recursive: true, force: true });
  rmSync(path.join(cacheDir, `coreDeathChild-${process.pid}.mjs`), { force: true });
});

describe('after the core is killed', () => {
  it('QEMU keeps running and the next core adopts it', async () => {
    // The child core runs from a bundle of the same sources this test imports; the bundle sits
    // under node_modules/.cache so Node resolves its packages (zod, ssh2, execa) from this checkout.
    const bundle = path.join(cacheDir, `coreDeathChild-${process.pid}.mjs`);
    await build({
      entryPoints: [path.join(here, 'testing', 'coreDeathChild.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: bundle,
      logLevel: 'silent',
    });
    const hostPort = await freeLoopbackPort();
    const child = execa(process.execPath, [bundle, stateDir, String(hostPort), defaultGuestResourcesDir()], {
      cwd: path.resolve(here, '../../..'),
      reject: false,
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const report = await new Promise<{ ready: boolean; pid?: number; sshPort?: number; error?: string }>((resolve, reject) => {
      let text = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const newline = text.indexOf('\n');
        if (newline >= 0) resolve(JSON.parse(text.slice(0, newline)) as { ready: boolean; pid?: number });
      });
      child.then((result) => reject(new Error(`the child core exited early: ${result.stderr.slice(-2000)}`)), reject);
    });
    expect(report).toMatchObject({ ready: true, sshPort: hostPort });
    const qemuPid = report.pid ?? 0;
    qemuPids.add(qemuPid);

    child.kill('SIGKILL');
    const ended = await child;
    expect(ended.signal).toBe('SIGKILL');

    // QEMU outlived its core, and still writes its output where the next core can read it.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(isProcessAlive(qemuPid)).toBe(true);
    const files = vmFilesIn(statePaths({ stateDir }).vmDir);
    expect(await readPidFile(files)).toBe(qemuPid);
    expect(statSync(files.consoleLog).size).toBeGreaterThan(0);

    const settings = { ...defaultSettings('linux'), cpus: 1, memoryMiB: 1024, diskGiB: 2, hostPort };
    adopter = new BuilderSupervisor({
      paths: statePaths({ stateDir }),
      getSettings: () => settings,
      logs: { append: () => undefined },
      resolveProfile: () => linuxTestProfile,
      chooseAccelerator: async () => ({ name: 'tcg', reason: 'test: kvm does not work on this machine' }),
    });
    await adopter.recover();
    const adopted = await adopter.settled();
    expect(adopted).toMatchObject({ state: 'ready', adopted: true, pid: qemuPid, sshPort: hostPort });
    expect((await adopter.exec('uname -s')).stdout.trim()).toBe('Linux');

    await adopter.stop({ force: true });
    expect(isProcessAlive(qemuPid)).toBe(false);
    expect(adopter.status().state).toBe('stopped');
  });
});

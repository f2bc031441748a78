import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoreOptions } from '../core/createCore.js';
import type { CliIo } from './cli/cliIo.js';
import { runCli } from './cli/runCli.js';
import { findElectronRuntime } from './electronRuntime.js';
import { browserOpener } from './openBrowser.js';
import { transportCore } from './testing/transportCore.js';

const electronPackageDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
const downloadedHere = existsSync(path.join(electronPackageDir, 'path.txt'));

describe("finding Electron's runtime", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bb-electron-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.runIf(!downloadedHere)('reports the blocked download here without trying to download', () => {
    const started = Date.now();
    const runtime = findElectronRuntime({ DISPLAY: ':0' }, 'linux');
    expect(runtime).toEqual({ available: false, reason: "Electron's runtime is not installed here (its download is blocked or did not run)" });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('uses an existing runtime from ELECTRON_OVERRIDE_DIST_PATH', () => {
    const relative = downloadedHere ? readFileSync(path.join(electronPackageDir, 'path.txt'), 'utf8').trim() : 'electron';
    const executable = path.join(dir, relative);
    writeFileSync(executable, '');
    chmodSync(executable, 0o755);
    expect(findElectronRuntime({ ELECTRON_OVERRIDE_DIST_PATH: dir, DISPLAY: ':0' }, 'linux')).toEqual({ available: true, executable });
    expect(findElectronRuntime({ ELECTRON_OVERRIDE_DIST_PATH: dir }, 'darwin')).toEqual({ available: true, executable });
  });

  it('says so when the runtime is missing or there is no display to open it on', () => {
    const missing = findElectronRuntime({ ELECTRON_OVERRIDE_DIST_PATH: path.join(dir, 'nowhere'), DISPLAY: ':0' }, 'linux');
    expect(missing).toMatchObject({ available: false, reason: expect.stringContaining('does not exist') });
    writeFileSync(path.join(dir, 'electron'), '');
    const headless = findElectronRuntime({ ELECTRON_OVERRIDE_DIST_PATH: dir }, 'linux');
    expect(headless).toMatchObject({ available: false, reason: expect.stringContaining('no display') });
  });

  it('opens URLs with the platform opener', () => {
    expect(browserOpener('darwin')).toBe('open');
    expect(browserOpener('linux')).toBe('xdg-open');
    expect(browserOpener('win32')).toBeNull();
  });
});

describe('start-app without the Electron runtime', () => {
  it('says why and runs the headless door with the linux-test profile, not failing without a browser', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'bb-start-app-'));
    const core = transportCore(stateDir);
    const coreOptions: CoreOptions[] = [];
    const controller = new AbortController();
    const out: string[] = [];
    const err: string[] = [];
    // No PATH and no DISPLAY: no browser can be found, and Electron cannot open a window.
    const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), env: {}, signal: controller.signal };
    const running = runCli(['--state-dir', stateDir, 'start-app'], io, {
      serve: {
        createCore: async (options) => {
          coreOptions.push(options);
          return core;
        },
      },
    });
    try {
      const deadline = Date.now() + 10_000;
      while (!err.some((line) => line.startsWith('Could not open a browser')) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      controller.abort();
      expect(await running).toBe(0);
      expect(err[0]).toMatch(/; running the headless door instead \(builder-bar serve --profile linux-test --open\)\.$/);
      expect(out).toHaveLength(1);
      expect(out[0]).toMatch(/^Builder Bar is serving on http:\/\/127\.0\.0\.1:\d+\/#token=/);
      expect(err.some((line) => line.startsWith('Could not open a browser') && line.endsWith('open the URL above by hand.'))).toBe(true);
      expect(coreOptions).toEqual([{ stateDir, env: {}, profile: 'linux-test' }]);
    } finally {
      // The headless door stopped first: it keeps its lock, socket and page in the state dir while it runs.
      controller.abort();
      await running.catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

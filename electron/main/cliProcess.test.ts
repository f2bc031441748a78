/**
 * The app's binary started with CLI arguments (as `builder-bar` symlinked to it would be): the
 * main process runs the CLI instead of the app, prints what `builder-bar` prints and exits the
 * app with the CLI's exit code, here 3 with the usual message when no core runs for the state
 * dir. Electron's API is a stand-in (its runtime cannot run here); the CLI code is the real one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { noCoreMessage } from '../doors/cli/cliIo.js';

const fake = vi.hoisted(() => {
  const record = { exits: [] as number[], appStarted: false };
  const refuse = (what: string) => () => {
    record.appStarted = true;
    throw new Error(`the CLI must not touch ${what}`);
  };
  const app = {
    exit: (code: number) => void record.exits.push(code),
    requestSingleInstanceLock: refuse('the single-instance lock'),
    whenReady: refuse('app startup'),
    setPath: refuse('the profile path'),
    on: refuse('app events'),
  };
  return { record, module: { app, dialog: {}, ipcMain: {}, Notification: {}, powerMonitor: {}, shell: {} } };
});

vi.mock('electron', () => fake.module);

const saved = { argv: process.argv, exitCode: process.exitCode };
const err: string[] = [];
let stateDir = '';

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'bb-cli-app-'));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  // The CLI's own fallback exit (2 s after it is done, against a stray handle) must not end the test worker.
  vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  process.argv = ['/Applications/Builder Bar.app/Contents/MacOS/Builder Bar', '--state-dir', stateDir, 'status'];
  await import('./index.js');
  for (let waited = 0; fake.record.exits.length === 0 && waited < 400; waited += 1) await new Promise((resolve) => setTimeout(resolve, 25));
});

afterAll(async () => {
  vi.restoreAllMocks();
  process.argv = saved.argv;
  process.exitCode = saved.exitCode;
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('the app binary as `builder-bar`', () => {
  it('answers `status` with no app running: the usual message and exit code 3, no window, tray or lock', () => {
    expect(fake.record.exits).toEqual([3]);
    expect(err.join('')).toBe(`${noCoreMessage(stateDir)}\n`);
    expect(fake.record.appStarted).toBe(false);
  });
});

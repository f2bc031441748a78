/**
 * Choosing the Nix from the command line, against the real core (`createCore`, no VM) behind
 * `serve` in one process, with PATH and HOME as a Mac app started from Finder has them (no Nix
 * anywhere it looks): `settings set nixBinDir=DIR` and `nixBinDir=` round trip, a directory
 * without Nix is refused with nothing saved, and `status` shows the Nix in use. Then
 * `builder-bar nix plan` without a core runs the Nix the state dir's settings name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../../core/createCore.js';
import { writeFakeNix, type FakeNix } from '../../core/nix/testing/fakeNix.js';
import type { CliIo } from './cliIo.js';
import { runCli } from './runCli.js';

interface Recorder {
  io: CliIo;
  out: string[];
  err: string[];
  abort(): void;
}

let root: string;
let env: NodeJS.ProcessEnv;
let fake: FakeNix;
let noNix: string;

function recorder(): Recorder {
  const controller = new AbortController();
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line) => out.push(line), err: (line) => err.push(line), env, signal: controller.signal }, out, err, abort: () => controller.abort() };
}

async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const run = recorder();
  const code = await runCli(argv, run.io);
  return { code, out: run.out, err: run.err };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-nixbindir-cli-'));
  const emptyBin = path.join(root, 'empty-bin');
  await fs.mkdir(emptyBin);
  noNix = path.join(root, 'no-nix');
  await fs.mkdir(noNix);
  fake = await writeFakeNix(path.join(root, 'nix-2.34', 'bin'));
  // A user no profile directory of this machine belongs to, a home of the test's own.
  env = { PATH: emptyBin, HOME: path.join(root, 'home'), USER: 'nobody-here' };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('nixBinDir through the CLI and the real core', () => {
  let stateDir: string;
  let serveRun: Recorder;
  let serving: Promise<number>;

  beforeAll(async () => {
    stateDir = path.join(root, 'state');
    serveRun = recorder();
    serving = runCli(['--state-dir', stateDir, 'serve'], serveRun.io, {
      serve: { createCore: (options) => createCore({ ...options, platform: 'linux', limits: { cpus: 4, memoryMiB: 8192 } }), rendererDir: path.join(root, 'renderer') },
    });
    const deadline = Date.now() + 20_000;
    while (serveRun.out.length === 0 && serveRun.err.length === 0) {
      if (Date.now() > deadline) throw new Error('serve did not start');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(serveRun.err).toEqual([]);
  });
  afterAll(async () => {
    serveRun.abort();
    await serving;
  });

  it('status says no Nix was found, where it looked and what to do', async () => {
    const status = await cli('--state-dir', stateDir, 'status');
    expect(status.code).toBe(0);
    expect(status.out).toContainEqual(expect.stringMatching(/^Nix: none found: Nix was not found on PATH or in Nix's profile directories \(.*\.nix-profile\/bin/));
    expect(status.out).toContainEqual(expect.stringMatching(/^Hint: Install Nix .*nixBinDir=/));
  });

  it('settings set nixBinDir=DIR saves it, says which Nix is used now, and status shows it', async () => {
    const set = await cli('--state-dir', stateDir, 'settings', 'set', `nixBinDir=${fake.binDir}`);
    expect(set).toEqual({ code: 0, err: [], out: [`Saved: nixBinDir = ${fake.binDir}.`, `Builder Bar now uses Nix 2.34.8 in ${fake.binDir} (the nixBinDir setting).`] });
    expect((await cli('--state-dir', stateDir, 'settings', 'get', 'nixBinDir')).out).toEqual([fake.binDir]);
    expect((await cli('--state-dir', stateDir, 'status')).out).toContain(`Nix: 2.34.8 in ${fake.binDir} (the nixBinDir setting)`);
    const saved = JSON.parse(await fs.readFile(path.join(stateDir, 'settings.json'), 'utf8')) as { nixBinDir: unknown };
    expect(saved.nixBinDir).toBe(fake.binDir);
  });

  it('refuses a directory that holds no Nix, and a relative path, saving nothing (exit 2)', async () => {
    const refused = await cli('--state-dir', stateDir, 'settings', 'set', `nixBinDir=${noNix}`);
    expect(refused.code).toBe(2);
    expect(refused.err[0]).toBe(`Error: Settings not saved: nixBinDir: ${noNix} holds no "nix" program.`);
    expect(refused.err[1]).toMatch(/^Hint: Nothing was changed\. Give the directory that holds nix, nix-build and nix-store/);
    const relative = await cli('--state-dir', stateDir, 'settings', 'set', 'nixBinDir=nix/bin');
    expect(relative.code).toBe(2);
    expect(relative.err[0]).toMatch(/nixBinDir: an absolute path/);
    const option = await cli('--state-dir', stateDir, 'settings', 'set', 'nixBinDir=--store=/x');
    expect(option.code).toBe(2);
    expect(option.err[0]).toMatch(/nixBinDir: a path, not an option/);
    expect((await cli('--state-dir', stateDir, 'settings', 'get', 'nixBinDir')).out).toEqual([fake.binDir]);
  });

  it('nixBinDir= goes back to finding Nix automatically, and says it found none here', async () => {
    const cleared = await cli('--state-dir', stateDir, 'settings', 'set', 'nixBinDir=');
    expect(cleared.code).toBe(0);
    expect(cleared.out[0]).toBe('Saved: nixBinDir = null.');
    expect(cleared.out[1]).toMatch(/^Builder Bar found no Nix to use: Nix was not found on PATH/);
    expect((await cli('--state-dir', stateDir, 'settings', 'get', 'nixBinDir')).out).toEqual(['null']);
  });
});

describe('builder-bar nix without a core', () => {
  it('detects with the Nix the state dir\'s settings name, by its absolute path', async () => {
    const stateDir = path.join(root, 'state-no-core');
    await fs.mkdir(stateDir, { recursive: true });
    const settings = { version: 4, nixBinDir: fake.binDir };
    await fs.writeFile(path.join(stateDir, 'settings.json'), JSON.stringify(settings));
    const plan = await cli('--state-dir', stateDir, 'nix', 'plan', '--conf-dir', path.join(root, 'conf'), '--json');
    const printed = JSON.parse(plan.out.join('\n')) as { detection: { binary: string; version: string } };
    expect(printed.detection).toMatchObject({ binary: path.join(fake.binDir, 'nix'), version: '2.34.8' });
    // It asked that Nix for its configuration (the fake prints none, which detection reports).
    expect((await fake.calls()).some((argv) => argv[0] === path.join(fake.binDir, 'nix') && argv.includes('show'))).toBe(true);
  });
});

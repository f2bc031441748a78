import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bindReadOnly, makeImmutable } from '../core/testing/refusingDirs.js';
import type { CliIo } from './cli/cliIo.js';
import { runNixCommand } from './cli/nixCommand.js';
import { runCli } from './cli/runCli.js';
import { startOwnedCore } from './ownedCore.js';

// `--state-dir ~` used to chmod the home directory to 0700 (and `nix plan` wrote keys/ into it).
let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'bb-home-like-'));
  await mkdir(path.join(home, 'Documents'));
  await writeFile(path.join(home, '.profile'), 'export EDITOR=vi\n');
  await chmod(home, 0o755);
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function untouched(): Promise<void> {
  expect((await stat(home)).mode & 0o777).toBe(0o755);
  expect((await readdir(home)).sort()).toEqual(['.profile', 'Documents']);
}

describe('a home-like directory given as the state dir', () => {
  it('is refused by serve and the app (startOwnedCore) before the lock or the core', async () => {
    const error = await startOwnedCore({ stateDir: home, env: {}, createCore: () => Promise.reject(new Error('the core must not be built')) }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/not a Builder Bar state dir.*pick an empty or new directory/);
    await untouched();
  });

  it('is refused by builder-bar nix with exit 2 and the reason', async () => {
    const stderr: string[] = [];
    const io: CliIo = { out: () => undefined, err: (line) => stderr.push(line), env: {}, signal: new AbortController().signal };
    expect(await runNixCommand(['plan', '--state-dir', home, '--conf-dir', path.join(os.tmpdir(), 'bb-unused-conf')], io, { platform: 'linux' })).toBe(2);
    expect(stderr.join('\n')).toMatch(/not a Builder Bar state dir.*pick an empty or new directory/);
    await untouched();
  });
});

// A state dir the file system refuses used to end `serve` with a raw
// "Builder Bar could not start: EPERM: operation not permitted, chmod '…'", and `status` with
// "unexpected error" and a stack trace. Root meets these refusals too (see refusingDirs.ts).
describe('a state dir the file system refuses, at each door', () => {
  const undo: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of undo.splice(0).reverse()) await step();
  });

  function recorder(): { io: CliIo; out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (line) => out.push(line), err: (line) => err.push(line), env: {}, signal: new AbortController().signal }, out, err };
  }
  const noCore = { serve: { createCore: () => Promise.reject(new Error('the core must not be built')) } };

  it('serve, on a state dir that cannot be changed: the reason and the commands that fix it, exit 1', async (context) => {
    const dir = path.join(home, 'state');
    await mkdir(dir, { mode: 0o755 });
    const locked = await makeImmutable(dir);
    if (!locked.ok) return context.skip(locked.reason);
    undo.push(locked.undo);
    const run = recorder();
    expect(await runCli(['--state-dir', dir, 'serve'], run.io, noCore)).toBe(1);
    expect(run.err).toEqual([
      `Builder Bar could not start: ${dir} cannot be the state dir: it is yours, but Builder Bar may not change it (chmod failed with EPERM).`,
      `Hint: Let yourself write it: chmod 700 '${dir}'. If that is refused too, it is locked (lsattr -d shows an "i" flag; chattr -R -i removes it, as root). ` +
        'Or start Builder Bar with a state dir elsewhere: --state-dir DIR (or BUILDER_BAR_HOME=DIR); it is made if it does not exist.',
    ]);
  });

  it('serve and nix plan, on a read-only disk: say so and how to start elsewhere', async (context) => {
    const disk = path.join(home, 'Documents');
    const readOnly = await bindReadOnly(disk);
    if (!readOnly.ok) return context.skip(readOnly.reason);
    undo.push(readOnly.undo);
    const dir = path.join(disk, 'state');
    const reason = `${dir} cannot be the state dir: it is on a read-only file system (mkdir failed with EROFS).`;
    const serve = recorder();
    expect(await runCli(['--state-dir', dir, 'serve'], serve.io, noCore)).toBe(1);
    expect(serve.err[0]).toBe(`Builder Bar could not start: ${reason}`);
    expect(serve.err[1]).toMatch(/^Hint: .*make that file system writable again.*--state-dir DIR \(or BUILDER_BAR_HOME=DIR\)/);
    const plan = recorder();
    expect(await runCli(['--state-dir', dir, 'nix', 'plan', '--conf-dir', path.join(os.tmpdir(), 'bb-unused-conf')], plan.io)).toBe(1);
    expect(plan.err[0]).toBe(`Error: ${reason}`);
    expect(plan.err[1]).toMatch(/^Hint: .*--state-dir DIR/);
  });

  it('status, with a file where the state dir should be: no core can run there, exit 3, no stack trace', async () => {
    const dir = path.join(home, '.profile', 'state');
    const run = recorder();
    expect(await runCli(['--state-dir', dir, 'status'], run.io)).toBe(3);
    expect(run.err).toEqual([`No Builder Bar core is running for ${dir}. Start one with: builder-bar serve (or npm start)`]);
    const serve = recorder();
    expect(await runCli(['--state-dir', dir, 'serve'], serve.io, noCore)).toBe(1);
    expect(serve.err).toEqual([
      `Builder Bar could not start: ${dir} cannot be the state dir: ${path.join(home, '.profile')} is a file, not a directory.`,
      `Hint: Pick an empty or new directory for --state-dir (or BUILDER_BAR_HOME), or move ${path.join(home, '.profile')} away.`,
    ]);
  });
});

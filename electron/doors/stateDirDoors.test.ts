import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from './cli/cliIo.js';
import { runNixCommand } from './cli/nixCommand.js';
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

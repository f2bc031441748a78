import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore } from './createCore.js';
import { BuilderBarError } from './errors.js';
import { prepareStateDir, STATE_DIR_MARKER } from './stateDir.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-statedir-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const mode = async (dir: string): Promise<number> => (await stat(dir)).mode & 0o777;

/** A directory like a home: files of others, mode 0755. */
async function homeLike(): Promise<string> {
  const home = path.join(root, 'home');
  await mkdir(path.join(home, 'Documents'), { recursive: true });
  await writeFile(path.join(home, '.profile'), 'export EDITOR=vi\n');
  await chmod(home, 0o755);
  return home;
}

describe('prepareStateDir', () => {
  it('refuses a non-empty directory that is not a state dir, says to pick an empty or new one, and changes nothing', async () => {
    const home = await homeLike();
    const error = await prepareStateDir(home).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuilderBarError);
    expect((error as BuilderBarError).message).toMatch(/is not empty and is not a Builder Bar state dir \(it holds "(\.profile|Documents)", "(\.profile|Documents)"\).*pick an empty or new directory/);
    expect(await mode(home)).toBe(0o755);
    expect((await readdir(home)).sort()).toEqual(['.profile', 'Documents']);
  });

  it("takes a directory that holds only Chromium's profile folder: the Electron shell puts it there before the core runs", async () => {
    const dir = path.join(root, 'Builder Bar');
    await mkdir(path.join(dir, 'electron'), { recursive: true });
    await writeFile(path.join(dir, 'electron', 'Local State'), '{}');
    await prepareStateDir(dir);
    expect((await readdir(dir)).sort()).toEqual([STATE_DIR_MARKER, 'electron']);
  });

  it('takes a new or empty directory, makes it 0700 and marks it as ours', async () => {
    const fresh = path.join(root, 'a', 'new', 'state');
    await prepareStateDir(fresh);
    expect(await mode(fresh)).toBe(0o700);
    expect(await readdir(fresh)).toEqual([STATE_DIR_MARKER]);
    const empty = path.join(root, 'empty');
    await mkdir(empty, { mode: 0o755 });
    await writeFile(path.join(empty, '.DS_Store'), '');
    await prepareStateDir(empty);
    expect(await mode(empty)).toBe(0o700);
    // Marked, it is ours from now on, whatever it comes to hold.
    await writeFile(path.join(empty, 'anything'), '');
    await expect(prepareStateDir(empty)).resolves.toBeUndefined();
  });

  it.each(['settings.json', 'keys', 'vm', 'nix-wiring.json'])('accepts a state dir of an earlier version that holds %s', async (entry) => {
    const earlier = path.join(root, 'earlier');
    await mkdir(earlier);
    if (entry.endsWith('.json')) await writeFile(path.join(earlier, entry), '{}');
    else await mkdir(path.join(earlier, entry));
    await writeFile(path.join(earlier, 'core.lock'), '');
    await prepareStateDir(earlier);
    expect(await readdir(earlier)).toContain(STATE_DIR_MARKER);
  });

  it('refuses a file as the state dir', async () => {
    const file = path.join(root, 'file');
    await writeFile(file, 'x');
    await expect(prepareStateDir(file)).rejects.toThrow(/is a file, not a directory/);
  });

  it('is where the core starts: createCore refuses a home-like directory before changing its mode', async () => {
    const home = await homeLike();
    await expect(createCore({ stateDir: home, platform: 'linux', limits: { cpus: 4, memoryMiB: 8192 } })).rejects.toThrow(/pick an empty or new directory/);
    expect(await mode(home)).toBe(0o755);
    expect((await readdir(home)).sort()).toEqual(['.profile', 'Documents']);
  });
});

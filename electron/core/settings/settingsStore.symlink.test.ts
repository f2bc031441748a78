/**
 * settings.json as a symbolic link: dotfile managers (GNU Stow, a dotfiles repo) link it to a file
 * the user keeps elsewhere, and home-manager links it into the read-only Nix store. A saved change
 * goes to the file the link names, and the link stays; a target that cannot be written refuses the
 * change, saying where the settings come from, and nothing is changed.
 */
import { execa } from 'execa';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultSettings } from './defaults.js';
import { SettingsStore } from './settingsStore.js';

const limits = { cpus: 8, memoryMiB: 16384 };
const asRoot = process.platform === 'linux' && process.getuid?.() === 0;

let dir: string;
let file: string;
const mounts: string[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bb-settings-link-'));
  file = path.join(dir, 'state', 'settings.json');
  await mkdir(path.dirname(file));
});
afterEach(async () => {
  for (const mount of mounts.splice(0)) await execa('umount', [mount], { reject: false });
  await rm(dir, { recursive: true, force: true });
});

function open(): Promise<SettingsStore> {
  return SettingsStore.open({ file, limits, logs: { append: () => undefined }, platform: 'linux', handEditPollMs: 0 });
}

describe('a settings.json that is a symbolic link', () => {
  it('saves a change into the file the link names and keeps the link', async () => {
    const kept = path.join(dir, 'dotfiles', 'builder-bar.json');
    await mkdir(path.dirname(kept));
    await writeFile(kept, JSON.stringify({ ...defaultSettings('linux'), cpus: 3 }, null, 2));
    await symlink(kept, file);
    const store = await open();
    await store.update({ memoryMiB: 2048 });
    expect((await lstat(file)).isSymbolicLink()).toBe(true);
    expect(await readlink(file)).toBe(kept);
    expect(JSON.parse(await readFile(kept, 'utf8'))).toMatchObject({ cpus: 3, memoryMiB: 2048 });
    expect((await open()).get()).toMatchObject({ cpus: 3, memoryMiB: 2048 });
  });

  it.runIf(asRoot)('refuses a change when the linked file is read-only (the Nix store), naming it, and changes nothing', async () => {
    const store = path.join(dir, 'store');
    await mkdir(store);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', store]);
    mounts.push(store);
    const managed = path.join(store, 'builder-bar-settings.json');
    const text = `${JSON.stringify({ ...defaultSettings('linux'), cpus: 2 }, null, 2)}\n`;
    await writeFile(managed, text);
    await execa('mount', ['-o', 'remount,ro', store]);
    await symlink(managed, file);
    const settings = await open();
    const error = (await settings.update({ cpus: 4 }).catch((caught: unknown) => caught)) as Error & { hint?: string };
    expect(error.message).toBe(`Settings not saved: ${file} links to ${managed}, which cannot be written (EROFS).`);
    expect(error.hint).toMatch(/Change the setting where that file comes from \(home-manager, your dotfiles\)/);
    expect(settings.get().cpus).toBe(2);
    expect(await readlink(file)).toBe(managed);
    expect(await readFile(managed, 'utf8')).toBe(text);
  });

  it.runIf(asRoot)('starts from a read-only linked file that needs completing, using it in memory and saying so', async () => {
    const store = path.join(dir, 'store');
    await mkdir(store);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', store]);
    mounts.push(store);
    // Written by hand: only the values its author cares about; the rest are Builder Bar's defaults.
    const managed = path.join(store, 'builder-bar-settings.json');
    await writeFile(managed, JSON.stringify({ version: defaultSettings('linux').version, cpus: 2 }));
    await execa('mount', ['-o', 'remount,ro', store]);
    await symlink(managed, file);
    const settings = await open();
    expect(settings.get()).toMatchObject({ cpus: 2, memoryMiB: defaultSettings('linux').memoryMiB });
    expect(settings.loadNotices().join('\n')).toMatch(/links to .*cannot be written \(EROFS\)\. .*completed in memory only/);
    expect(await readlink(file)).toBe(managed);
  });
});

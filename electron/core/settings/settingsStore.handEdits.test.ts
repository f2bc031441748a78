/**
 * settings.json edited by hand while the store runs: the edit is taken in before the next change
 * is saved, never written over; an edit that cannot be used as it is refuses the change and
 * stays as the user wrote it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLevel, LogSource, Settings } from '../../ipc/contract.js';
import { SettingsStore, type SettingsUpdate } from './settingsStore.js';

const limits = { cpus: 8, memoryMiB: 16384 };

let dir: string;
let file: string;
let lines: { source: LogSource; level: LogLevel; text: string }[];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bb-settings-edit-'));
  file = path.join(dir, 'settings.json');
  lines = [];
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function openStore(): Promise<{ store: SettingsStore; announced: SettingsUpdate[] }> {
  const store = await SettingsStore.open({ file, limits, logs: { append: (source, level, text) => lines.push({ source, level, text }) }, platform: 'linux' });
  const announced: SettingsUpdate[] = [];
  store.onChange((update) => announced.push(update));
  return { store, announced };
}

const onDisk = async (): Promise<Settings> => JSON.parse(await readFile(file, 'utf8')) as Settings;

async function editByHand(edit: (settings: Record<string, unknown>) => void): Promise<void> {
  const settings = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(settings);
  await writeFile(file, `${JSON.stringify(settings, null, 2)}\n`);
}

describe('SettingsStore and hand edits', () => {
  it('takes a hand edit in before the next change, announces it, and saves both', async () => {
    const { store, announced } = await openStore();
    await store.update({ cpus: 3 });
    await editByHand((settings) => (settings.cpus = 2));
    const update = await store.update({ memoryMiB: 2048 });
    expect(store.get()).toMatchObject({ cpus: 2, memoryMiB: 2048 });
    expect(await onDisk()).toMatchObject({ cpus: 2, memoryMiB: 2048 });
    expect(update.changed).toEqual(['memoryMiB']);
    expect(announced.map((each) => each.changed)).toEqual([['cpus'], ['cpus'], ['memoryMiB']]);
    expect(lines.map((line) => line.text)).toContain(`${file} was edited outside Builder Bar: its cpus are in use now (a running builder keeps its cpus until it is restarted).`);
  });

  it('does not take its own writes for hand edits', async () => {
    const { store } = await openStore();
    await store.update({ cpus: 2 });
    await store.update({ cpus: 3 });
    await store.update({ memoryMiB: 4096 });
    expect(lines.filter((line) => line.text.includes('edited outside'))).toEqual([]);
  });

  it('refuses the change and leaves the file as written when the edit is not JSON, or holds a value out of range', async () => {
    const { store } = await openStore();
    await store.update({ cpus: 2 });
    const typo = (await readFile(file, 'utf8')).replace('"cpus": 2,', '"cpus": 2,,');
    await writeFile(file, typo);
    await expect(store.update({ memoryMiB: 2048 })).rejects.toMatchObject({ code: 'invalid-settings', message: expect.stringMatching(/^.*settings\.json was edited outside Builder Bar and is not valid JSON now/) });
    expect(await readFile(file, 'utf8')).toBe(typo);
    expect(store.get()).toMatchObject({ cpus: 2 });

    await writeFile(file, typo.replace('"cpus": 2,,', '"cpus": 99,'));
    await expect(store.update({ memoryMiB: 2048 })).rejects.toMatchObject({ code: 'invalid-settings', message: expect.stringContaining('cannot be used as it is') });
    expect(await readFile(file, 'utf8')).toBe(typo.replace('"cpus": 2,,', '"cpus": 99,'));

    // Once corrected, the next change goes through with the edit.
    await writeFile(file, typo.replace('"cpus": 2,,', '"cpus": 4,'));
    await store.update({ memoryMiB: 2048 });
    expect(await onDisk()).toMatchObject({ cpus: 4, memoryMiB: 2048 });
  });

  it('refuses the change, reading nothing, when the file was replaced by one far larger than settings', async () => {
    const { store } = await openStore();
    await store.update({ cpus: 2 });
    const huge = `${JSON.stringify({ cpus: 3, padding: 'x'.repeat(2 * 1024 * 1024) })}\n`;
    await writeFile(file, huge);
    await expect(store.update({ memoryMiB: 2048 })).rejects.toMatchObject({ code: 'invalid-settings', message: expect.stringMatching(/settings\.json is 2\.0 MiB, more than the 1\.0 MiB Builder Bar ever writes there: move it away, then change the setting again\.$/) });
    expect(await readFile(file, 'utf8')).toBe(huge);
    expect(store.get()).toMatchObject({ cpus: 2 });
  });

  it('writes the settings in use again when the file was deleted by hand', async () => {
    const { store } = await openStore();
    await store.update({ cpus: 2 });
    await rm(file);
    await store.update({ memoryMiB: 2048 });
    expect(await onDisk()).toMatchObject({ cpus: 2, memoryMiB: 2048 });
  });
});

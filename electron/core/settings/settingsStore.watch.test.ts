/**
 * settings.json edited by hand while the core runs and nothing else changes: the edit is in use
 * (and announced) within a poll, not only at the next change someone makes. A user who edits the
 * file and then starts the builder gets the builder they wrote down; an edit that cannot be used
 * is named once in the app log, and the settings in use stay as they were.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLevel, LogSource } from '../../ipc/contract.js';
import { SettingsStore, type SettingsUpdate } from './settingsStore.js';

const limits = { cpus: 8, memoryMiB: 16384 };

let dir: string;
let file: string;
let lines: { source: LogSource; level: LogLevel; text: string }[];
const stores: SettingsStore[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bb-settings-watch-'));
  file = path.join(dir, 'settings.json');
  lines = [];
});
afterEach(async () => {
  for (const store of stores.splice(0)) store.close();
  await rm(dir, { recursive: true, force: true });
});

async function openStore(): Promise<{ store: SettingsStore; announced: SettingsUpdate[] }> {
  const store = await SettingsStore.open({ file, limits, logs: { append: (source, level, text) => lines.push({ source, level, text }) }, platform: 'linux', handEditPollMs: 20 });
  stores.push(store);
  const announced: SettingsUpdate[] = [];
  store.onChange((update) => announced.push(update));
  return { store, announced };
}

async function until(check: () => boolean, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return check();
}

describe('SettingsStore notices a hand edit by itself', () => {
  it('puts a valid edit in use and announces it, with no change asked for', async () => {
    const { store, announced } = await openStore();
    await store.update({ cpus: 3 });
    const edited = (await readFile(file, 'utf8')).replace('"memoryMiB": 1024', '"memoryMiB": 2048');
    await writeFile(file, edited);
    expect(await until(() => store.get().memoryMiB === 2048)).toBe(true);
    expect(store.get().cpus).toBe(3);
    expect(announced.at(-1)?.changed).toEqual(['memoryMiB']);
    expect(lines.map((line) => line.text)).toContain(`${file} was edited outside Builder Bar: its memoryMiB are in use now (a running builder keeps its memoryMiB until it is restarted).`);
    // The user's bytes stay as they wrote them.
    expect(await readFile(file, 'utf8')).toBe(edited);
  });

  it('names an edit it cannot use once, keeps the settings in use, and leaves the file alone', async () => {
    const { store } = await openStore();
    await store.update({ cpus: 3 });
    await writeFile(file, '{ "cpus": 2, oops');
    expect(await until(() => lines.some((line) => line.level === 'warn' && line.text.includes('is not valid JSON now')))).toBe(true);
    // More polls see the same bytes: no second line.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lines.filter((line) => line.text.includes('is not valid JSON now'))).toHaveLength(1);
    expect(store.get().cpus).toBe(3);
    expect(await readFile(file, 'utf8')).toBe('{ "cpus": 2, oops');
  });
});

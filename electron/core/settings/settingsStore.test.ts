import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { LogLevel, LogSource } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import { defaultSettings } from './defaults.js';
import { migrateSettings } from './migrations.js';
import { SettingsStore } from './settingsStore.js';

const limits = { cpus: 8, memoryMiB: 16384 };

class RecordingLog {
  lines: { source: LogSource; level: LogLevel; text: string }[] = [];
  append(source: LogSource, level: LogLevel, text: string): void {
    this.lines.push({ source, level, text });
  }
}

let dir: string;
let file: string;
let logs: RecordingLog;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bb-settings-'));
  file = path.join(dir, 'settings.json');
  logs = new RecordingLog();
});

const open = () => SettingsStore.open({ file, limits, logs, platform: 'linux' });

describe('SettingsStore', () => {
  it('starts from defaults and writes nothing until a change', async () => {
    const store = await open();
    expect(store.get()).toEqual(defaultSettings('linux'));
    await expect(stat(file)).rejects.toThrow();
  });

  it('saves a valid change atomically with mode 0600 and reports what changed', async () => {
    const store = await open();
    const { settings, changed } = await store.update({ cpus: 2, restartPolicy: { enabled: false } });
    expect(changed.sort()).toEqual(['cpus', 'restartPolicy']);
    expect(settings.restartPolicy).toEqual({ enabled: false, maxPerMinute: 6, giveUpAfter: 5 });
    expect(JSON.parse(await readFile(file, 'utf8')).cpus).toBe(2);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect((await open()).get().cpus).toBe(2);
  });

  it('refuses invalid values with the field and the reason, and changes nothing', async () => {
    const store = await open();
    await expect(store.update({ cpus: 99 })).rejects.toThrow(/cpus: .*at most 64 cores/);
    await expect(store.update({ cpus: 12 })).rejects.toThrow(/cpus: this machine has 8 cores/);
    await expect(store.update({ memoryMiB: 16384 })).rejects.toThrow(/memoryMiB: .*at most 15872 MiB/);
    await expect(store.update({ hostPort: 80 })).rejects.toThrow(/hostPort: ports below 1024 need root/);
    const error = await store.update({ diskGiB: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuilderBarError);
    expect((error as BuilderBarError).code).toBe('invalid-settings');
    expect(store.get()).toEqual(defaultSettings('linux'));
  });

  it('moves a malformed file aside instead of losing it, and uses defaults', async () => {
    await writeFile(file, '{ "cpus": 2,, }');
    const store = await open();
    expect(store.get()).toEqual(defaultSettings('linux'));
    const aside = (await readdir(dir)).find((f) => f.startsWith('settings.json.broken-'));
    expect(aside).toBeDefined();
    expect(await readFile(path.join(dir, aside!), 'utf8')).toBe('{ "cpus": 2,, }');
    expect(logs.lines.some((l) => l.level === 'error' && l.text.includes('not valid JSON'))).toBe(true);
  });

  it('keeps the good values of a file with one bad value', async () => {
    await writeFile(file, JSON.stringify({ ...defaultSettings('linux'), cpus: 0, memoryMiB: 2048 }));
    const store = await open();
    expect(store.get().memoryMiB).toBe(2048);
    expect(store.get().cpus).toBe(1);
    expect(logs.lines.some((l) => l.text.includes('Setting "cpus"') && l.text.includes('using the default'))).toBe(true);
  });

  it('migrates a version-0 file and keeps the original as a backup', async () => {
    const old = { cores: 2, memorySize: 2048, diskSize: 10240, port: 31500, autoRestart: false };
    await writeFile(file, JSON.stringify(old));
    const store = await open();
    expect(store.get()).toMatchObject({ version: 3, remoteBuilders: [], trackedRepos: [], cpus: 2, memoryMiB: 2048, diskGiB: 10, hostPort: 31500 });
    expect(store.get().restartPolicy.enabled).toBe(false);
    expect(JSON.parse(await readFile(`${file}.v0.bak`, 'utf8'))).toEqual(old);
    expect(JSON.parse(await readFile(file, 'utf8')).version).toBe(3);
  });

  it('never overwrites a file from a newer Builder Bar', async () => {
    const newer = JSON.stringify({ version: 7, cpus: 4 });
    await writeFile(file, newer);
    const store = await open();
    await expect(store.update({ cpus: 2 })).rejects.toThrow(/read-only: .*newer Builder Bar/);
    expect(await readFile(file, 'utf8')).toBe(newer);
  });
});

describe('migrateSettings', () => {
  it('leaves a current file as it is', () => {
    const current = { ...defaultSettings('darwin') };
    expect(migrateSettings(current)).toEqual({ value: current, from: 3 });
  });

  it('refuses a version that is not a whole number', () => {
    expect(() => migrateSettings({ version: 'one' })).toThrow(/whole number/);
  });
});

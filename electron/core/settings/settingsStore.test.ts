import { execa } from 'execa';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, open as openFile, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLevel, LogSource, RemoteBuilder, Settings, TrackedRepo } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import { DEFAULT_NIXPKGS_PIN, defaultSettings } from './defaults.js';
import { migrateSettings } from './migrations.js';
import { SettingsStore, type SettingsChange } from './settingsStore.js';

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
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
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
    // Status and the Settings place say it too, naming where the file went.
    expect(store.loadNotices()).toEqual([expect.stringMatching(new RegExp(`not valid JSON.*moved to ${path.join(dir, aside!).replace(/[.]/g, '\\.')}; using defaults`))]);
  });

  it('sets aside, unread, a settings file larger than any Builder Bar writes, and uses defaults', async () => {
    const huge = JSON.stringify({ ...defaultSettings('linux'), cpus: 2, padding: 'x'.repeat(2 * 1024 * 1024) });
    await writeFile(file, huge);
    const store = await open();
    expect(store.get()).toEqual(defaultSettings('linux'));
    const aside = (await readdir(dir)).find((f) => f.startsWith('settings.json.broken-'));
    expect(await readFile(path.join(dir, aside!), 'utf8')).toBe(huge);
    expect(store.loadNotices()).toEqual([expect.stringMatching(/could not be used: it holds \d+ bytes, more than the 1048576 a settings file ever needs\. It was moved to /)]);
  });

  it('has nothing to say about a file that was fine, or missing', async () => {
    expect((await open()).loadNotices()).toEqual([]);
    await writeFile(file, JSON.stringify({ ...defaultSettings('linux'), cpus: 2 }));
    expect((await open()).loadNotices()).toEqual([]);
  });

  it('keeps the good values of a file with one bad value', async () => {
    await writeFile(file, JSON.stringify({ ...defaultSettings('linux'), cpus: 0, memoryMiB: 2048 }));
    const store = await open();
    expect(store.get().memoryMiB).toBe(2048);
    expect(store.get().cpus).toBe(1);
    expect(logs.lines.some((l) => l.text.includes('Setting "cpus"') && l.text.includes('using the default'))).toBe(true);
    expect(store.loadNotices()).toEqual([
      expect.stringMatching(/^Setting "cpus" in .* was refused .*; using the default\.$/),
      expect.stringMatching(/^Settings were saved without the values named above; the file as it was is kept as .*settings\.json\.bak-/),
    ]);
  });

  it('migrates a version-0 file and keeps the original as a backup', async () => {
    const old = { cores: 2, memorySize: 2048, diskSize: 10240, port: 31500, autoRestart: false };
    await writeFile(file, JSON.stringify(old));
    const store = await open();
    expect(store.get()).toMatchObject({ version: 6, openAtLogin: false, remoteBuilders: [], trackedRepos: [], nixBinDir: null, builderNixpkgs: DEFAULT_NIXPKGS_PIN, cpus: 2, memoryMiB: 2048, diskGiB: 10, hostPort: 31500 });
    expect(store.get().restartPolicy.enabled).toBe(false);
    expect(JSON.parse(await readFile(`${file}.v0.bak`, 'utf8'))).toEqual(old);
    expect(JSON.parse(await readFile(file, 'utf8')).version).toBe(6);
  });

  it('migrates a version-3 file: Nix is found automatically (nixBinDir null), everything else kept', async () => {
    const v3 = { ...defaultSettings('linux'), version: 3, cpus: 2 } as Record<string, unknown>;
    delete v3.nixBinDir;
    await writeFile(file, JSON.stringify(v3));
    const store = await open();
    expect(store.get()).toEqual({ ...defaultSettings('linux'), cpus: 2, nixBinDir: null, version: 6 });
    expect(JSON.parse(await readFile(`${file}.v3.bak`, 'utf8'))).toEqual(v3);
  });

  it('migrates a version-4 file: the Mac builder\'s nixpkgs, which followed the registry before, is pinned', async () => {
    const v4 = { ...defaultSettings('darwin'), version: 4, cpus: 6 } as Record<string, unknown>;
    delete v4.builderNixpkgs;
    await writeFile(file, JSON.stringify(v4));
    const store = await open();
    expect(store.get()).toEqual({ ...defaultSettings('darwin'), cpus: 6, builderNixpkgs: DEFAULT_NIXPKGS_PIN, version: 6 });
  });

  it('never overwrites a file from a newer Builder Bar', async () => {
    const newer = JSON.stringify({ version: 7, cpus: 4 });
    await writeFile(file, newer);
    const store = await open();
    await expect(store.update({ cpus: 2 })).rejects.toThrow(/read-only: .*newer Builder Bar/);
    expect(await readFile(file, 'utf8')).toBe(newer);
    expect(store.loadNotices()).toEqual([expect.stringMatching(/^Using default settings without saving: .*newer Builder Bar/)]);
  });
});

function remote(id: string, maxJobs = 1): RemoteBuilder {
  return {
    id, protocol: 'ssh-ng', user: 'nix', host: `${id}.example.org`, port: 22, systems: ['x86_64-linux'], maxJobs, speedFactor: 1,
    supportedFeatures: [], sshKey: '/keys/id', hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb',
  };
}

function tracked(id: string): TrackedRepo {
  return { id, path: `/src/${id}`, intervalSeconds: 86_400, timeSource: 'wall-clock', branchPattern: null, fullBuild: ['nix-build', '{repo}'] };
}

/** The i-th of many concurrent changes, each to one of ten fields. */
function changeNumber(i: number): SettingsChange {
  switch (i % 10) {
    case 0: return { cpus: (i % 8) + 1 };
    case 1: return { memoryMiB: 512 + i };
    case 2: return { diskGiB: 2 + i };
    case 3: return { hostPort: 20_000 + i };
    case 4: return { hostPortAuto: i % 20 === 4 };
    case 5: return { startOnLaunch: i % 20 === 5 };
    case 6: return { restartPolicy: { enabled: i % 20 === 6 } };
    case 7: return { restartPolicy: { maxPerMinute: (i % 6) + 1 } };
    case 8: return { restartPolicy: { giveUpAfter: (i % 50) + 1 } };
    default: return { logs: { ringLines: 100 + i } };
  }
}

describe.skipIf(process.platform === 'win32')('SettingsStore when settings.json is not a regular file', () => {
  let fifo: string | null = null;
  afterEach(async () => {
    // Opening a FIFO for reading and writing never blocks, and lets any stuck opener through.
    const handle = fifo ? await openFile(fifo, constants.O_RDWR | constants.O_NONBLOCK).catch(() => null) : null;
    await handle?.close();
    fifo = null;
  });

  it('refuses to start on a FIFO, naming it, without opening it or touching it', async () => {
    await execa('mkfifo', [file]);
    fifo = file;
    const error = await open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuilderBarError);
    expect((error as BuilderBarError).code).toBe('invalid-settings');
    expect((error as Error).message).toBe(`${file} is a FIFO, not a regular file: move it away and start again.`);
    expect((error as BuilderBarError).hint).toMatch(/did not open this and changed nothing/);
    // Not set aside, not replaced by defaults.
    expect(await readdir(dir)).toEqual(['settings.json']);
    expect((await stat(file)).isFIFO()).toBe(true);
    expect(logs.lines).toEqual([]);
  });

  it('refuses a directory and a symbolic link to a FIFO the same way', async () => {
    await mkdir(file);
    await expect(open()).rejects.toThrow(`${file} is a directory, not a regular file: move it away and start again.`);
    await rm(file, { recursive: true });
    fifo = path.join(dir, 'elsewhere');
    await execa('mkfifo', [fifo]);
    await symlink(fifo, file);
    await expect(open()).rejects.toThrow(`${file} is a symbolic link to a FIFO, not a regular file`);
    expect((await readdir(dir)).sort()).toEqual(['elsewhere', 'settings.json']);
  });

  it('reads settings through a symbolic link to a regular file, as before', async () => {
    const real = path.join(dir, 'real.json');
    await writeFile(real, JSON.stringify({ ...defaultSettings('linux'), cpus: 3 }));
    await symlink(real, file);
    expect((await open()).get().cpus).toBe(3);
  });
});

describe('SettingsStore under concurrent changes', () => {
  it('keeps every one of 1,000 concurrent changes to different fields, on disk too', async () => {
    const store = await open();
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => store.update(changeNumber(i))));
    expect(results).toHaveLength(1000);
    // The last change of each field is the one that stays (changes apply in the order asked).
    const expected: Settings = {
      ...defaultSettings('linux'),
      cpus: (990 % 8) + 1, memoryMiB: 512 + 991, diskGiB: 2 + 992, hostPort: 20_000 + 993, hostPortAuto: false, startOnLaunch: false,
      restartPolicy: { enabled: false, maxPerMinute: (997 % 6) + 1, giveUpAfter: (998 % 50) + 1 },
      logs: { ringLines: 100 + 999 },
    };
    expect(store.get()).toEqual(expected);
    expect((await open()).get()).toEqual(expected);
  });

  it('applies updater functions to the settings as the change before left them', async () => {
    const store = await open();
    const announced: string[][] = [];
    store.onChange(({ changed }) => announced.push(changed));
    // 32 builders added, then edited 968 times, all at once: each updater reads the list as it is then.
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        store.update((current) =>
          i < 32
            ? { remoteBuilders: [...current.remoteBuilders, remote(`b${i}`)] }
            : { remoteBuilders: current.remoteBuilders.map((b) => (b.id === `b${i % 32}` ? { ...b, maxJobs: (i % 200) + 1 } : b)) },
        ),
      ),
    );
    const lastEdit = (n: number) => Math.max(...Array.from({ length: 1000 }, (_, i) => i).filter((i) => i >= 32 && i % 32 === n));
    const expected = Array.from({ length: 32 }, (_, n) => ({ id: `b${n}`, maxJobs: (lastEdit(n) % 200) + 1 }));
    expect(store.get().remoteBuilders.map(({ id, maxJobs }) => ({ id, maxJobs }))).toEqual(expected);
    expect((await open()).get().remoteBuilders.map(({ id, maxJobs }) => ({ id, maxJobs }))).toEqual(expected);
    expect(announced).toHaveLength(1000);
  });

  it('refuses one change whose updater throws and still applies the ones after it', async () => {
    const store = await open();
    const first = store.update({ cpus: 2 });
    const refused = store.update(() => {
      throw new BuilderBarError('invalid-settings', 'taken', null);
    });
    const after = store.update((current) => ({ cpus: current.cpus + 1 }));
    await expect(refused).rejects.toThrow('taken');
    await first;
    expect((await after).settings.cpus).toBe(3);
  });
});

describe('SettingsStore loading a partly bad file', () => {
  it('drops only the bad tracked repository, logs it, and keeps the original bytes in a .bak file', async () => {
    const original = `${JSON.stringify({ ...defaultSettings('linux'), trackedRepos: [tracked('good-one'), { ...tracked('bad-one'), path: 'relative/path' }, tracked('good-two')] }, null, 1)}\n`;
    await writeFile(file, original);
    const store = await open();
    expect(store.get().trackedRepos.map((r) => r.id)).toEqual(['good-one', 'good-two']);
    const warning = logs.lines.find((l) => l.text.includes('"bad-one"'));
    expect(warning?.text).toMatch(/tracked repository "bad-one" \(trackedRepos\[1\]\).*path: an absolute path/);
    const backup = (await readdir(dir)).find((f) => f.startsWith('settings.json.bak-'));
    expect(backup).toBeDefined();
    expect(await readFile(path.join(dir, backup!), 'utf8')).toBe(original);
    expect(JSON.parse(await readFile(file, 'utf8')).trackedRepos).toHaveLength(2);
  });

  it('drops a remote builder whose key path holds a newline, and a second one with the same id', async () => {
    const builders = [remote('arm'), { ...remote('x86'), sshKey: '/keys/id\nHost *' }, { ...remote('arm'), maxJobs: 9 }];
    await writeFile(file, JSON.stringify({ ...defaultSettings('linux'), remoteBuilders: builders }));
    const store = await open();
    expect(store.get().remoteBuilders).toEqual([remote('arm')]);
    expect(logs.lines.filter((l) => l.level === 'warn' && /remote builder "(x86|arm)"/.test(l.text))).toHaveLength(2);
  });

  it('keeps a .bak before writing back a file without its unknown keys', async () => {
    const original = JSON.stringify({ ...defaultSettings('linux'), colour: 'red' });
    await writeFile(file, original);
    await open();
    expect(JSON.parse(await readFile(file, 'utf8'))).not.toHaveProperty('colour');
    const backup = (await readdir(dir)).find((f) => f.startsWith('settings.json.bak-'));
    expect(await readFile(path.join(dir, backup!), 'utf8')).toBe(original);
  });

  it('writes no .bak when nothing was lost', async () => {
    await writeFile(file, JSON.stringify({ cpus: 2, version: 6 }));
    const store = await open();
    expect(store.get().cpus).toBe(2);
    expect((await readdir(dir)).filter((f) => f.includes('.bak'))).toEqual([]);
  });
});

describe('migrateSettings', () => {
  it('leaves a current file as it is', () => {
    const current = { ...defaultSettings('darwin') };
    expect(migrateSettings(current)).toEqual({ value: current, from: 6 });
  });

  it('migrates a version-5 file: Open at Login is off, as it was (there was none)', () => {
    const { openAtLogin: _none, ...v5 } = { ...defaultSettings('darwin'), version: 5, startOnLaunch: true };
    expect(migrateSettings(v5)).toEqual({ value: { ...v5, openAtLogin: false, version: 6 }, from: 5 });
  });

  it('refuses a version that is not a whole number', () => {
    expect(() => migrateSettings({ version: 'one' })).toThrow(/whole number/);
  });
});

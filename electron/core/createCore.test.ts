import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent, RemoteBuilder, SettingsPatch } from '../ipc/contract.js';
import { dispatch } from '../doors/dispatch.js';
import type { Core } from './core.js';
import { createCore } from './createCore.js';

let core: Core | null = null;
let stateDir: string | null = null;
afterEach(async () => {
  try {
    await core?.close({ stopBuilder: true });
  } finally {
    core = null;
    // After the core is closed: it writes nothing there afterwards, not even a late log line.
    if (stateDir !== null) await rm(stateDir, { recursive: true, force: true });
    stateDir = null;
  }
});

async function freshCore(): Promise<Core> {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'bb-core-'));
  core = await createCore({ stateDir, platform: 'linux', limits: { cpus: 4, memoryMiB: 8192 } });
  return core;
}

describe('createCore', () => {
  it('starts stopped with a private state dir and answers through dispatch', async () => {
    const c = await freshCore();
    expect((await stat(c.paths.stateDir)).mode & 0o777).toBe(0o700);
    const status = await dispatch(c, 'cli', 'status.get', {});
    expect(status).toMatchObject({ ok: true, value: { state: 'stopped', profile: 'linux-test', adopted: false } });
    const info = await dispatch(c, 'headless', 'app.info', {});
    expect(info).toMatchObject({ ok: true, value: { door: 'headless', stateDir: c.paths.stateDir } });
  });

  it('says in app info that settings.json was not used, and where it went, not only in the app log', async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'bb-core-'));
    await writeFile(path.join(stateDir, 'settings.json'), '{ "cpus": 2, }', { mode: 0o600 });
    core = await createCore({ stateDir, platform: 'linux', limits: { cpus: 4, memoryMiB: 8192 } });
    const info = await dispatch(core, 'cli', 'app.info', {});
    expect(info).toMatchObject({ ok: true, value: { settingsNotices: [expect.stringMatching(/settings\.json could not be used: it is not valid JSON .*moved to .*settings\.json\.broken-.*; using defaults/)] } });
  });

  it('refuses input that does not match the contract before the core sees it', async () => {
    const c = await freshCore();
    expect(await dispatch(c, 'cli', 'vm.stop', { force: 'yes' })).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    expect(await dispatch(c, 'cli', 'vm.explode', {})).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    expect(await dispatch(c, 'cli', 'settings.set', { patch: { cpus: 1, colour: 'red' } })).toMatchObject({
      ok: false,
      error: { code: 'invalid-request' },
    });
  });

  it('saves settings, announces them, and refuses impossible values with the reason', async () => {
    const c = await freshCore();
    const events: CoreEvent[] = [];
    c.subscribe((event) => events.push(event));
    const saved = await dispatch(c, 'electron', 'settings.set', { patch: { cpus: 2 } });
    expect(saved).toMatchObject({ ok: true, value: { settings: { cpus: 2 }, effects: { needsRestart: false } } });
    expect(events.some((e) => e.name === 'settings' && e.payload.cpus === 2)).toBe(true);
    const refused = await dispatch(c, 'electron', 'settings.set', { patch: { cpus: 8 } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid-settings', message: expect.stringMatching(/this machine has 4 cores/) } });
  });

  it('refuses a disk size below the existing disk, saving nothing, and lets a larger one through saying when it applies', async () => {
    const c = await freshCore();
    // A qcow2 header for a 4 GiB disk: magic, version 3, virtual size at byte 24.
    const header = Buffer.alloc(512);
    header.write('QFI\xfb', 0, 'latin1');
    header.writeUInt32BE(3, 4);
    header.writeBigUInt64BE(4n * 2n ** 30n, 24);
    await mkdir(c.paths.vmDir, { recursive: true });
    await writeFile(path.join(c.paths.vmDir, 'disk.qcow2'), header);
    const before = await dispatch(c, 'cli', 'settings.get', {});
    const refused = await dispatch(c, 'cli', 'settings.set', { patch: { diskGiB: 2 } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid-settings', message: expect.stringContaining('is 4 GiB and a disk cannot shrink to 2 GiB') } });
    expect(await dispatch(c, 'cli', 'settings.get', {})).toEqual(before);
    const grown = await dispatch(c, 'cli', 'settings.set', { patch: { diskGiB: 8 } });
    expect(grown).toMatchObject({ ok: true, value: { settings: { diskGiB: 8 }, effects: { needsNewDisk: true } } });
  });

  it('keeps log lines per source and streams them as events', async () => {
    const c = await freshCore();
    const tail = await dispatch(c, 'cli', 'logs.tail', { source: 'app', lines: 10 });
    expect(tail.ok && (tail.value as { lines: { text: string }[] }).lines.some((l) => l.text.includes('core started'))).toBe(true);
  });

  it('says the macOS profile cannot run on Linux when asked to start it', async () => {
    const c = await freshCore();
    await dispatch(c, 'cli', 'settings.set', { patch: { profile: 'darwin-linux-builder' } });
    const started = await dispatch(c, 'cli', 'vm.start', { wait: true, timeoutSeconds: 30 });
    const status = await dispatch(c, 'cli', 'status.get', {});
    const text = JSON.stringify([started, status]);
    expect(text).toMatch(/only runs on a Mac/);
  });

  it('keeps every one of 1,000 concurrent settings.set requests to different fields', async () => {
    const c = await freshCore();
    const patchNumber = (i: number): SettingsPatch => {
      switch (i % 5) {
        case 0: return { memoryMiB: 512 + i };
        case 1: return { diskGiB: 2 + i };
        case 2: return { hostPort: 20_000 + i };
        case 3: return { restartPolicy: { giveUpAfter: (i % 50) + 1 } };
        default: return { logs: { ringLines: 100 + i } };
      }
    };
    const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => dispatch(c, 'headless', 'settings.set', { patch: patchNumber(i) })));
    expect(replies.filter((reply) => !reply.ok)).toEqual([]);
    const now = await dispatch(c, 'cli', 'settings.get', {});
    expect(now).toMatchObject({
      ok: true,
      value: { memoryMiB: 512 + 995, diskGiB: 2 + 996, hostPort: 20_000 + 997, restartPolicy: { giveUpAfter: (998 % 50) + 1 }, logs: { ringLines: 100 + 999 } },
    });
  });

  it('announces the settings when a remote builder is added, not only on settings.set', async () => {
    const c = await freshCore();
    const events: CoreEvent[] = [];
    c.subscribe((event) => events.push(event));
    const builder: RemoteBuilder = {
      id: 'arm', protocol: 'ssh-ng', user: 'nix', host: 'arm.example.org', port: 22, systems: ['aarch64-linux'], maxJobs: 1, speedFactor: 1,
      supportedFeatures: [], sshKey: path.join(c.paths.stateDir, 'no-such-key'), hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb',
    };
    expect(await dispatch(c, 'electron', 'builders.add', { builder })).toMatchObject({ ok: true });
    const announced = events.filter((e) => e.name === 'settings');
    expect(announced.map((e) => (e.name === 'settings' ? e.payload.remoteBuilders.map((b) => b.id) : null))).toEqual([['arm']]);
    expect(await dispatch(c, 'electron', 'builders.remove', { id: 'arm' })).toMatchObject({ ok: true });
    expect(events.filter((e) => e.name === 'settings')).toHaveLength(2);
  });
});

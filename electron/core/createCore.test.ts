import { mkdtemp, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreEvent } from '../ipc/contract.js';
import { dispatch } from '../ipc/dispatch.js';
import type { Core } from './core.js';
import { createCore } from './createCore.js';

let core: Core | null = null;
afterEach(async () => {
  await core?.close({ stopBuilder: true });
  core = null;
});

async function freshCore(): Promise<Core> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'bb-core-'));
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
});

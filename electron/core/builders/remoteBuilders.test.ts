import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteBuilderSchema, type LogLevel, type LogSource, type RemoteBuilder, type RemoteBuilderHealth, type RemoteBuilderList } from '../../ipc/contract.js';
import { SettingsStore } from '../settings/settingsStore.js';
import { RemoteBuilders } from './remoteBuilders.js';

const logs = { lines: [] as string[], append(_s: LogSource, _l: LogLevel, text: string) { this.lines.push(text); } };

function remote(id: string): RemoteBuilder {
  return {
    id, protocol: 'ssh', user: 'nix', host: `${id}.example.org`, port: 22, systems: ['aarch64-linux'], maxJobs: 2,
    speedFactor: 1, supportedFeatures: [], sshKey: '/keys/id', hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb',
  };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function setup(check: (b: RemoteBuilder) => Promise<RemoteBuilderHealth>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bb-remotes-'));
  dirs.push(dir);
  const file = path.join(dir, 'settings.json');
  const settings = await SettingsStore.open({ file, limits: { cpus: 4, memoryMiB: 8192 }, logs, platform: 'linux' });
  const registry = new RemoteBuilders({ settings, logs, check, intervalMs: 0 });
  return { registry, file, settings };
}

const healthy = async (b: RemoteBuilder): Promise<RemoteBuilderHealth> => ({
  id: b.id, state: 'ok', message: 'ok', nixVersion: '2.18', latencyMs: 3, checkedAt: 1,
});

describe('RemoteBuilders', () => {
  it('adds a builder to the saved settings, checks it, and announces each step', async () => {
    const { registry, file } = await setup(healthy);
    const seen: RemoteBuilderList[] = [];
    registry.onChange((list) => seen.push(list));
    const list = await registry.add(remote('arm'));
    expect(list.builders).toEqual([{ builder: remote('arm'), health: expect.objectContaining({ state: 'ok' }) }]);
    expect(seen.map((l) => l.builders[0]?.health.state)).toEqual(['unknown', 'checking', 'ok']);
    const reopened = await SettingsStore.open({ file, limits: { cpus: 4, memoryMiB: 8192 }, logs, platform: 'linux' });
    expect(reopened.get().remoteBuilders.map((b) => b.id)).toEqual(['arm']);
  });

  it('refuses a second builder with the same name and removing one that does not exist', async () => {
    const { registry } = await setup(healthy);
    await registry.add(remote('arm'));
    await expect(registry.add(remote('arm'))).rejects.toThrow(/"arm" already exists/);
    await expect(registry.remove('x86')).rejects.toThrow(/no remote builder named "x86"/);
    await expect(registry.checkNow('x86')).rejects.toThrow(/no remote builder named "x86"/);
  });

  it('removes a builder and forgets its health', async () => {
    const { registry, settings } = await setup(healthy);
    await registry.add(remote('arm'));
    await registry.add(remote('x86'));
    const list = await registry.remove('arm');
    expect(list.builders.map((b) => b.builder.id)).toEqual(['x86']);
    expect(settings.get().remoteBuilders.map((b) => b.id)).toEqual(['x86']);
  });

  it('logs a failing builder with the reason', async () => {
    const { registry } = await setup(async (b) => ({ id: b.id, state: 'unreachable', message: 'Cannot reach nix@arm.example.org:22', nixVersion: null, latencyMs: null, checkedAt: 1 }));
    await registry.add(remote('arm'));
    expect(logs.lines.some((line) => line.includes('Remote builder arm: Cannot reach'))).toBe(true);
  });
});

describe('RemoteBuilderSchema', () => {
  const problems = (extra: Partial<Record<keyof RemoteBuilder, unknown>>): string[] => {
    const parsed = RemoteBuilderSchema.safeParse({ ...remote('arm'), ...extra });
    return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('refuses a key path that would break the machines line or the ssh config', () => {
    for (const sshKey of ['/keys/id\nHost *\n  ProxyCommand touch /tmp/x', '/keys/my key', '/keys/id\tx', '/keys/id\u0000', '/keys/\u2028id']) {
      expect(problems({ sshKey })).toEqual(['sshKey: no spaces, line breaks or control characters in the path']);
    }
    expect(problems({ sshKey: '-oProxyCommand=x' })).toEqual(['sshKey: an absolute path']);
    expect(problems({ sshKey: `/${'k'.repeat(2000)}` })[0]).toMatch(/sshKey: a path of at most 1024 characters/);
    expect(problems({ sshKey: '/Users/me/.ssh/id_ed25519' })).toEqual([]);
  });

  it('refuses a user that reads as an option and a host key line with a line break in its comment', () => {
    expect(problems({ user: '-oProxyCommand=x' })[0]).toMatch(/^user: /);
    expect(problems({ user: '.hidden' })[0]).toMatch(/^user: /);
    expect(problems({ user: 'nix_builder' })).toEqual([]);
    expect(problems({ host: '-oProxyCommand=x' })[0]).toMatch(/^host: /);
    expect(problems({ host: `${'a'.repeat(60)}.`.repeat(5) + 'org' })[0]).toMatch(/^host: /);
    const line = remote('arm').hostKey;
    expect(problems({ hostKey: `${line} root@arm\n@cert-authority * ssh-ed25519 AAAA` })[0]).toMatch(/^hostKey: /);
    expect(problems({ hostKey: `${line} root@arm\u0007` })[0]).toMatch(/^hostKey: /);
    expect(problems({ hostKey: `${line} root@arm.example.org` })).toEqual([]);
  });
});

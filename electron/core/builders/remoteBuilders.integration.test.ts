import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteBuilder } from '../../ipc/contract.js';
import { dispatch } from '../../ipc/dispatch.js';
import type { Core } from '../core.js';
import { createCore } from '../createCore.js';
import { CLIENT_KEY_FILE, HOST_KEY_FILE } from '../vm/keyStore.js';
import { freeLoopbackPort } from '../vm/testing/freeLoopbackPort.js';
import { generateEd25519KeyPair } from '../vm/ed25519KeyPair.js';

// The real linux-test guest (dropbear, Nix 2.8) stands in for a remote builder on the network:
// the health check speaks real ssh to it and runs the real nix-store.
let core: Core;
let stateDir: string;
let guest: RemoteBuilder;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.homedir(), '.bb-remote-it-'));
  core = await createCore({ stateDir, platform: 'linux' });
  await core.handle('settings.set', { patch: { hostPort: await freeLoopbackPort() } }, 'cli');
  const status = await core.handle('vm.start', { wait: true, timeoutSeconds: 300 }, 'cli');
  expect(status.state).toBe('ready');
  guest = {
    id: 'guest',
    protocol: 'ssh',
    user: 'root',
    host: '127.0.0.1',
    port: status.sshPort!,
    systems: ['x86_64-linux'],
    maxJobs: 1,
    speedFactor: 1,
    supportedFeatures: [],
    sshKey: path.join(stateDir, 'keys', CLIENT_KEY_FILE),
    hostKey: (await readFile(path.join(stateDir, 'keys', `${HOST_KEY_FILE}.pub`), 'utf8')).trim(),
  };
});

afterAll(async () => {
  await core?.close({ stopBuilder: true });
  await rm(stateDir, { recursive: true, force: true });
});

describe('remote builders against a real ssh + Nix machine', () => {
  it('adds a builder through the contract and finds it healthy, with its Nix version', async () => {
    const reply = await dispatch(core, 'cli', 'builders.add', { builder: guest });
    expect(reply).toMatchObject({ ok: true, value: { builders: [{ builder: { id: 'guest' }, health: { state: 'ok', nixVersion: 'nix-store (Nix) 2.8.0' } }] } });
  });

  it('reports a changed host key instead of trusting it', async () => {
    const other = generateEd25519KeyPair().public;
    await dispatch(core, 'cli', 'builders.add', { builder: { ...guest, id: 'impostor-check', hostKey: other } });
    const reply = await dispatch(core, 'cli', 'builders.check', { id: 'impostor-check' });
    expect(reply.ok).toBe(true);
    const entry = reply.ok ? (reply.value as { builders: { builder: RemoteBuilder; health: { state: string; message: string } }[] }).builders.find((b) => b.builder.id === 'impostor-check') : undefined;
    expect(entry?.health.state).toBe('host-key-mismatch');
    expect(entry?.health.message).toMatch(/someone may be impersonating it/);
  });

  it('refuses a builder whose fields do not fit the contract, naming the field', async () => {
    const reply = await dispatch(core, 'cli', 'builders.add', { builder: { ...guest, id: 'Bad Name!' } });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-request', message: expect.stringMatching(/builder\.id: use 1-31 lower-case letters/) } });
  });
});

import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Server } from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteBuilder } from '../../ipc/contract.js';
import { freeLoopbackPort } from '../vm/testing/freeLoopbackPort.js';
import { startSshTestServer, type ExecAnswer } from '../vm/testing/sshTestServer.js';
import { checkRemoteBuilder } from './checkRemoteBuilder.js';
import { generateEd25519KeyPair } from '../vm/ed25519KeyPair.js';

const hostKey = generateEd25519KeyPair();
const clientKey = generateEd25519KeyPair();
let dir = '';
let keyFile: string;
const servers: Server[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bb-remote-'));
  keyFile = path.join(dir, 'id_ed25519');
  await writeFile(keyFile, clientKey.private, { mode: 0o600 });
});
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function serve(answer: (command: string) => ExecAnswer, presentedHostKey = hostKey.private): Promise<number> {
  const { server, port } = await startSshTestServer(presentedHostKey, clientKey.public, answer);
  servers.push(server);
  return port;
}

function builder(port: number, extra: Partial<RemoteBuilder> = {}): RemoteBuilder {
  return {
    id: 'big-box',
    protocol: 'ssh-ng',
    user: 'builder',
    host: '127.0.0.1',
    port,
    systems: ['x86_64-linux'],
    maxJobs: 4,
    speedFactor: 2,
    supportedFeatures: ['big-parallel'],
    sshKey: keyFile,
    hostKey: hostKey.public,
    ...extra,
  };
}

const nixAnswers = (command: string): ExecAnswer =>
  command === 'nix-store --version' ? { stdout: 'nix-store (Nix) 2.18.1\n', code: 0 } : { stdout: '', code: 127 };

describe('checkRemoteBuilder', () => {
  it('is ok when ssh with the pinned key works and Nix answers, with its version and latency', async () => {
    const health = await checkRemoteBuilder(builder(await serve(nixAnswers)), { now: () => 42 });
    expect(health).toMatchObject({ id: 'big-box', state: 'ok', nixVersion: 'nix-store (Nix) 2.18.1', checkedAt: 42 });
    expect(health.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('says the host key changed, naming the key it saw, and does not log in', async () => {
    const impostor = generateEd25519KeyPair();
    let ran = false;
    const port = await serve(() => {
      ran = true;
      return { stdout: '', code: 0 };
    }, impostor.private);
    const health = await checkRemoteBuilder(builder(port));
    expect(health.state).toBe('host-key-mismatch');
    expect(health.message).toMatch(/presented host key SHA256:.*not the pinned SHA256:/);
    expect(ran).toBe(false);
  });

  it('says the key was refused and where to put the public key', async () => {
    const stranger = generateEd25519KeyPair();
    const other = path.join(path.dirname(keyFile), 'other_ed25519');
    await writeFile(other, stranger.private, { mode: 0o600 });
    const health = await checkRemoteBuilder(builder(await serve(nixAnswers), { sshKey: other }));
    expect(health.state).toBe('auth-failed');
    expect(health.message).toMatch(/refused the key .*authorized_keys/);
  });

  it('says when nothing listens, and when the key file is missing', async () => {
    const closed = await checkRemoteBuilder(builder(await freeLoopbackPort()), { timeoutMs: 5_000 });
    expect(closed.state).toBe('unreachable');
    expect(closed.message).toMatch(/Cannot reach builder@127\.0\.0\.1:\d+/);
    const missing = await checkRemoteBuilder(builder(1, { sshKey: '/nonexistent/key' }));
    expect(missing).toMatchObject({ state: 'auth-failed', message: expect.stringMatching(/Cannot read the ssh key \/nonexistent\/key/) });
  });

  it('says Nix is missing when ssh works but nix-store does not run', async () => {
    const port = await serve(() => ({ stdout: '', stderr: 'sh: nix-store: not found\n', code: 127 }));
    const health = await checkRemoteBuilder(builder(port));
    expect(health.state).toBe('no-nix');
    expect(health.message).toMatch(/nix-store: not found.*Install Nix there/);
  });

  it('refuses a key file far larger than a private key instead of reading it', async () => {
    const huge = path.join(path.dirname(keyFile), 'huge_key');
    await writeFile(huge, clientKey.private, { mode: 0o600 });
    await truncate(huge, 20 * 1024 * 1024); // sparse: costs no disk
    const health = await checkRemoteBuilder(builder(1, { sshKey: huge }));
    expect(health).toMatchObject({ state: 'auth-failed', message: expect.stringMatching(/is 20971520 bytes; a private key is a few KB/) });
  });

  it('refuses a device or a FIFO as the key, without reading or waiting on it', async () => {
    const zero = await checkRemoteBuilder(builder(1, { sshKey: '/dev/zero' }));
    expect(zero).toMatchObject({ state: 'auth-failed', message: expect.stringMatching(/\/dev\/zero is not a regular file/) });
    const fifo = path.join(path.dirname(keyFile), 'fifo_key');
    await execa('mkfifo', [fifo]);
    const piped = await checkRemoteBuilder(builder(1, { sshKey: fifo }));
    expect(piped).toMatchObject({ state: 'auth-failed', message: expect.stringMatching(/fifo_key is not a regular file/) });
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileToSocket } from './fileToSocket.js';

let dir = '';
let servers: net.Server[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bb-file-socket-'));
});
afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  await rm(dir, { recursive: true, force: true });
});

/** A unix socket server handing each connection to `onConnection`; resolves with a connected client. */
async function connectedPair(onConnection: (socket: net.Socket) => void): Promise<net.Socket> {
  const socketPath = path.join(dir, 's.sock');
  const server = net.createServer(onConnection);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const client = net.createConnection({ path: socketPath });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  return client;
}

describe('copyFileToSocket', () => {
  it('delivers every byte in order, across reads that reuse the two buffers, then ends the socket', async () => {
    const bytes = randomBytes(5 * 1024 * 1024 + 123);
    const file = path.join(dir, 'state.bin');
    await writeFile(file, bytes);
    let received: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    const client = await connectedPair((socket) => {
      received = new Promise((resolve) => {
        const chunks: Buffer[] = [];
        // A slow reader: the copy must wait for it rather than overwrite a buffer being written.
        socket.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          socket.pause();
          setTimeout(() => socket.resume(), 1);
        });
        socket.on('end', () => resolve(Buffer.concat(chunks)));
      });
    });
    await copyFileToSocket(file, client);
    expect((await received).equals(bytes)).toBe(true);
  });

  it('copies an empty file as an ended, empty stream', async () => {
    const file = path.join(dir, 'empty.bin');
    await writeFile(file, Buffer.alloc(0));
    let ended: Promise<number> = Promise.resolve(-1);
    const client = await connectedPair((socket) => {
      ended = new Promise((resolve) => {
        let length = 0;
        socket.on('data', (chunk: Buffer) => (length += chunk.length));
        socket.on('end', () => resolve(length));
      });
    });
    await copyFileToSocket(file, client);
    expect(await ended).toBe(0);
  });

  it('rejects when the reader goes away mid-copy', async () => {
    const file = path.join(dir, 'state.bin');
    await writeFile(file, randomBytes(64 * 1024 * 1024));
    const client = await connectedPair((socket) => socket.once('data', () => socket.destroy()));
    await expect(copyFileToSocket(file, client)).rejects.toThrow(/EPIPE|ECONNRESET|destroyed|closed/i);
  });

  it('rejects when cancelled while the reader takes nothing', async () => {
    const file = path.join(dir, 'state.bin');
    await writeFile(file, randomBytes(64 * 1024 * 1024));
    const client = await connectedPair((socket) => socket.pause());
    const controller = new AbortController();
    const copy = copyFileToSocket(file, client, controller.signal);
    setTimeout(() => controller.abort(), 200);
    await expect(copy).rejects.toThrow(/cancelled/);
  });

  it('rejects with the reason for a file it cannot read, and leaves no socket open', async () => {
    const client = await connectedPair(() => undefined);
    await expect(copyFileToSocket(path.join(dir, 'missing.bin'), client)).rejects.toThrow(/ENOENT/);
    expect(client.destroyed).toBe(true);
  });
});

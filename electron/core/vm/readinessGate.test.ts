/**
 * Readiness of a guest with a control port opens no ssh connection before the guest went on from
 * its snapshot line: a connection QEMU queued towards the guest while it was saved would be in
 * the snapshot and reach the restored sshd at every restore. Against a QMP peer that reports a
 * running guest and a loopback port that counts connections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReadinessCancelled, waitUntilReady } from './readiness.js';

let dir: string;
const servers: net.Server[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-readiness-gate-'));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  rmSync(dir, { recursive: true, force: true });
});

/** A QMP peer whose guest runs: greeting, capabilities, query-status. */
async function runningQmp(socketPath: string): Promise<void> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(`${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 } }, capabilities: [] } })}\r\n`);
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const message = JSON.parse(buffer.slice(0, newline)) as { execute: string; id?: unknown };
        buffer = buffer.slice(newline + 1);
        const reply = message.execute === 'query-status' ? { status: 'running', running: true } : {};
        socket.write(`${JSON.stringify({ return: reply, id: message.id })}\r\n`);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, () => resolve()));
}

/** A loopback port standing for the guest's sshd behind QEMU: it counts connections and stays silent. */
async function countingPort(onConnection: () => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    onConnection();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

function target(qmpSocket: string, port: number, sshAfter: Promise<void>) {
  return {
    isQemuAlive: () => true,
    qmpSocket,
    ssh: { host: '127.0.0.1', port, username: 'builder', privateKey: 'unused', pinnedHostKeyBlob: Buffer.alloc(0) },
    readinessCommand: 'true',
    bootMarker: 'marker-unused',
    sshAfter,
  };
}

describe('readiness of a guest at its snapshot line', () => {
  it('connects to ssh only once the guest went on, then with one connection', async () => {
    const qmpSocket = path.join(dir, 'qmp.sock');
    await runningQmp(qmpSocket);
    const abort = new AbortController();
    let connections = 0;
    let firstConnection: () => void = () => undefined;
    const connected = new Promise<void>((resolve) => {
      firstConnection = resolve;
    });
    const port = await countingPort(() => {
      connections += 1;
      firstConnection();
    });
    let letGo: () => void = () => undefined;
    const went = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    const details: string[] = [];
    let atGate: () => void = () => undefined;
    const waitingAtGate = new Promise<void>((resolve) => {
      atGate = resolve;
    });
    const ready = waitUntilReady(target(qmpSocket, port, went), {
      signal: abort.signal,
      timeoutMs: 60_000,
      pollMs: 20,
      report: (detail) => {
        details.push(detail);
        if (/snapshot line/.test(detail)) atGate();
      },
    });
    const outcome = ready.then(() => 'ready', (error: unknown) => error);
    await waitingAtGate;
    // Several of the gate's own waits pass; a readiness that ignored the gate would have connected.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(connections).toBe(0);
    letGo();
    await connected;
    abort.abort();
    expect(await outcome).toBeInstanceOf(ReadinessCancelled);
    expect(connections).toBe(1);
    expect(details).toEqual(['waiting for QEMU to answer on its control socket', 'waiting for the guest at its snapshot line', `waiting for ssh on 127.0.0.1:${port}`]);
  });

  it('goes on to ssh when letting the guest go failed (the probes then fail on their own)', async () => {
    const qmpSocket = path.join(dir, 'qmp.sock');
    await runningQmp(qmpSocket);
    const abort = new AbortController();
    let connected: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const port = await countingPort(() => connected());
    const failed = Promise.reject(new Error('the control port closed'));
    failed.catch(() => undefined);
    const outcome = waitUntilReady(target(qmpSocket, port, failed), {
      signal: abort.signal,
      timeoutMs: 60_000,
      pollMs: 20,
      report: () => undefined,
    }).then(() => 'ready', (error: unknown) => error);
    await reached;
    abort.abort();
    expect(await outcome).toBeInstanceOf(ReadinessCancelled);
  });
});

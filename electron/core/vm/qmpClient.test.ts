import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpClient, QmpError } from './qmpClient.js';

/**
 * A small QMP peer speaking the protocol as QEMU does (greeting, capabilities, `\r\n` lines,
 * events between replies), so the client is tested against the protocol, not against itself.
 */
interface FakeQmp {
  server: net.Server;
  received: string[];
  /** What the fake does with a command; return undefined to stay silent. */
  behaviour: (command: string, id: unknown, socket: net.Socket) => void;
}

let dir: string;
let socketPath: string;
let fake: FakeQmp;

function startFake(): Promise<FakeQmp> {
  const state: FakeQmp = {
    server: net.createServer(),
    received: [],
    behaviour: (command, id, socket) => {
      if (command === 'qmp_capabilities') socket.write(`${JSON.stringify({ return: {}, id })}\r\n`);
      else if (command === 'query-status') {
        socket.write(`${JSON.stringify({ event: 'RTC_CHANGE', data: { offset: 0 }, timestamp: { seconds: 1, microseconds: 0 } })}\r\n`);
        socket.write(`${JSON.stringify({ return: { status: 'running', singlestep: false, running: true }, id })}\r\n`);
      } else if (command === 'system_powerdown') {
        socket.write(`${JSON.stringify({ return: {}, id })}\r\n`);
        socket.write(`${JSON.stringify({ event: 'POWERDOWN', timestamp: { seconds: 2, microseconds: 0 } })}\r\n`);
      } else if (command === 'quit') {
        socket.write(`${JSON.stringify({ return: {}, id })}\r\n`);
        socket.end();
      } else {
        socket.write(`${JSON.stringify({ error: { class: 'CommandNotFound', desc: `The command ${command} has not been found` }, id })}\r\n`);
      }
    },
  };
  state.server.on('connection', (socket) => {
    socket.write(`${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 } }, capabilities: ['oob'] } })}\r\n`);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const message = JSON.parse(line) as { execute: string; id?: unknown };
        state.received.push(message.execute);
        state.behaviour(message.execute, message.id, socket);
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => state.server.listen(socketPath, () => resolve(state)));
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-qmp-'));
  socketPath = path.join(dir, 'qmp.sock');
  fake = await startFake();
});

afterEach(async () => {
  await new Promise<void>((resolve) => fake.server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('QmpClient', () => {
  it('negotiates capabilities, then reports whether the guest runs, skipping events in between', async () => {
    const client = await QmpClient.connect(socketPath);
    const events: string[] = [];
    client.onEvent((event) => events.push(event.event));
    await expect(client.queryStatus()).resolves.toEqual({ status: 'running', running: true });
    expect(events).toEqual(['RTC_CHANGE']);
    expect(fake.received).toEqual(['qmp_capabilities', 'query-status']);
    client.close();
  });

  it('presses the power button and sees the POWERDOWN event', async () => {
    const client = await QmpClient.connect(socketPath);
    const seen = new Promise<string>((resolve) => client.onEvent((event) => resolve(event.event)));
    await client.powerdown();
    await expect(seen).resolves.toBe('POWERDOWN');
    client.close();
  });

  it('quit succeeds and the close is reported once QEMU hangs up', async () => {
    const client = await QmpClient.connect(socketPath);
    const closed = new Promise<void>((resolve) => client.onClose(resolve));
    await client.quit();
    await closed;
    expect(client.isClosed).toBe(true);
    await expect(client.queryStatus()).rejects.toMatchObject({ errorClass: 'Closed' });
  });

  it('counts a quit whose reply is cut off by the hang-up as done', async () => {
    fake.behaviour = (command, id, socket) => {
      if (command === 'qmp_capabilities') socket.write(`${JSON.stringify({ return: {}, id })}\r\n`);
      else socket.destroy();
    };
    const client = await QmpClient.connect(socketPath);
    await expect(client.quit()).resolves.toBeUndefined();
  });

  it('turns a QMP error reply into a QmpError with its class', async () => {
    const client = await QmpClient.connect(socketPath);
    const error = await client.execute('no-such-command').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(QmpError);
    expect(error).toMatchObject({ errorClass: 'CommandNotFound', message: expect.stringMatching(/has not been found/) });
    client.close();
  });

  it('times out a command QEMU never answers', async () => {
    fake.behaviour = (command, id, socket) => {
      if (command === 'qmp_capabilities') socket.write(`${JSON.stringify({ return: {}, id })}\r\n`);
    };
    const client = await QmpClient.connect(socketPath);
    await expect(client.queryStatus(150)).rejects.toMatchObject({ errorClass: 'Timeout', message: expect.stringMatching(/query-status within 150 ms/) });
    client.close();
  });

  it('fails to connect with a clear message when nothing listens on the socket', async () => {
    await expect(QmpClient.connect(path.join(dir, 'missing.sock'))).rejects.toMatchObject({
      errorClass: 'Connect',
      message: expect.stringMatching(/Cannot connect to QMP/),
    });
  });

  it('times out a peer that never greets', async () => {
    const silent = net.createServer(() => undefined);
    const silentPath = path.join(dir, 'silent.sock');
    await new Promise<void>((resolve) => silent.listen(silentPath, () => resolve()));
    await expect(QmpClient.connect(silentPath, 200)).rejects.toMatchObject({ errorClass: 'Timeout' });
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
});

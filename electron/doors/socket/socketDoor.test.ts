import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_WIRE_MESSAGE_BYTES } from '../../ipc/wire.js';
import { stoppedStatus, transportCore, type TransportCore } from '../testing/transportCore.js';
import { CoreClient, NoCoreRunningError } from '../cli/socketClient.js';
import { SocketDoor } from './socketDoor.js';

/** A raw client: writes bytes, collects the lines the door sends back until it hangs up. */
class RawClient {
  readonly lines: unknown[] = [];
  private buffer = '';
  readonly ended: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) !== -1) {
        this.lines.push(JSON.parse(this.buffer.slice(0, newline)));
        this.buffer = this.buffer.slice(newline + 1);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.ended = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static connect(socketPath: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  async nextLine(): Promise<unknown> {
    const seen = this.lines.length;
    while (this.lines.length === seen) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.lines[seen];
  }
}

describe('the CLI socket door', () => {
  let dir: string;
  let socketPath: string;
  let core: TransportCore;
  let door: SocketDoor | null;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bb-sock-'));
    socketPath = path.join(dir, 'core.sock');
    core = transportCore(dir);
    door = null;
  });
  afterEach(async () => {
    await door?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the socket with mode 0600 and removes it on close', async () => {
    door = await SocketDoor.open({ core, socketPath });
    const stat = statSync(socketPath);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
    await door.close();
    expect(existsSync(socketPath)).toBe(false);
    expect(core.listenerCount).toBe(0);
  });

  it('answers requests through the contract, tagged as the cli door', async () => {
    door = await SocketDoor.open({ core, socketPath });
    const client = await CoreClient.connect(socketPath);
    expect(await client.request('status.get', {})).toEqual({ ok: true, value: stoppedStatus });
    expect(await client.request('app.info', {})).toMatchObject({ ok: true, value: { door: 'cli' } });
    client.close();
  });

  it('answers with an internal error, naming the request, when the reply cannot be written as JSON', async () => {
    // A value JSON has no form for stands in for a reply past the longest string V8 can make
    // (ten thousand branches on one commit once made one, and the CLI waited for ever).
    core = transportCore(dir, () => ({ 'status.get': () => ({ ...stoppedStatus, since: 1n as unknown as number }) }));
    door = await SocketDoor.open({ core, socketPath });
    const client = await CoreClient.connect(socketPath);
    expect(await client.request('status.get', {})).toEqual({
      ok: false,
      error: { code: 'internal', message: expect.stringMatching(/^The answer to status\.get could not be sent: .*BigInt/), hint: expect.stringContaining('builder-bar diagnostics') },
    });
    expect(await client.request('app.info', {})).toMatchObject({ ok: true });
    client.close();
  });

  it('refuses invalid input and unknown names with an error reply, never reaching the core', async () => {
    door = await SocketDoor.open({ core, socketPath });
    const raw = await RawClient.connect(socketPath);
    raw.socket.write(`${JSON.stringify({ id: 1, name: 'vm.explode', input: {} })}\n`);
    expect(await raw.nextLine()).toMatchObject({ id: 1, reply: { ok: false, error: { code: 'invalid-request' } } });
    raw.socket.write(`${JSON.stringify({ id: 2, name: 'logs.tail', input: { lines: 0 } })}\n`);
    expect(await raw.nextLine()).toMatchObject({ id: 2, reply: { ok: false, error: { message: expect.stringContaining('lines') } } });
    raw.socket.write(`${JSON.stringify({ id: 3, subscribe: ['nonsense'] })}\n`);
    expect(await raw.nextLine()).toMatchObject({ id: 3, reply: { ok: false } });
    expect(core.received).toEqual([]);
    raw.socket.destroy();
  });

  it('hangs up on a line that is not JSON, with a reason', async () => {
    door = await SocketDoor.open({ core, socketPath });
    const raw = await RawClient.connect(socketPath);
    raw.socket.write('this is not json\n');
    await raw.ended;
    expect(raw.lines).toEqual([{ fatal: expect.objectContaining({ code: 'invalid-request', message: 'Message is not valid JSON.' }) }]);
  });

  it('runs nothing the client sent after the line it hung up on', async () => {
    door = await SocketDoor.open({ core, socketPath });
    const raw = await RawClient.connect(socketPath);
    raw.socket.on('error', () => undefined);
    // One write: the refused line and a valid request behind it arrive in the same chunk.
    raw.socket.write(`this is not json\n${JSON.stringify({ id: 1, name: 'vm.stop', input: {} })}\n`);
    await raw.ended;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(raw.lines).toEqual([{ fatal: expect.objectContaining({ message: 'Message is not valid JSON.' }) }]);
    expect(core.received).toEqual([]);
  });

  it('hangs up on a line over the size limit before reading all of it, and keeps serving', async () => {
    door = await SocketDoor.open({ core, socketPath });
    const raw = await RawClient.connect(socketPath);
    raw.socket.on('error', () => undefined); // the door may hang up while we still write
    raw.socket.write('x'.repeat(MAX_WIRE_MESSAGE_BYTES + 10));
    await raw.ended;
    expect(raw.lines[0]).toMatchObject({ fatal: { message: expect.stringContaining('larger than') } });
    const client = await CoreClient.connect(socketPath);
    expect((await client.request('status.get', {})).ok).toBe(true);
    client.close();
  });

  it('pushes events only to clients that subscribed, and only the events they asked for', async () => {
    door = await SocketDoor.open({ core, socketPath });
    const listening = await CoreClient.connect(socketPath);
    const quiet = await CoreClient.connect(socketPath);
    const heard: string[] = [];
    const quietHeard: string[] = [];
    await listening.subscribe(['status'], (event) => heard.push(event.name));
    quiet.subscribe([], (event) => quietHeard.push(event.name)).catch(() => undefined);
    await quiet.request('status.get', {});
    core.emit({ name: 'logs', payload: { lines: [] } });
    core.emit({ name: 'status', payload: { ...stoppedStatus, state: 'starting' } });
    // A request after the events proves they were sent before its reply.
    await listening.request('status.get', {});
    await quiet.request('status.get', {});
    expect(heard).toEqual(['status']);
    expect(quietHeard).toEqual([]);
    listening.close();
    quiet.close();
  });

  it('replaces a stale socket nobody answers on', async () => {
    // A core killed with -9 leaves its socket file behind with nobody listening.
    const crashed = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('listening'))`,
    ]);
    await new Promise((resolve) => crashed.stdout.once('data', resolve));
    crashed.kill('SIGKILL');
    await new Promise((resolve) => crashed.once('exit', resolve));
    expect(statSync(socketPath).isSocket()).toBe(true);
    await expect(CoreClient.connect(socketPath)).rejects.toBeInstanceOf(NoCoreRunningError);
    door = await SocketDoor.open({ core, socketPath });
    const client = await CoreClient.connect(socketPath);
    expect((await client.request('status.get', {})).ok).toBe(true);
    client.close();
  });

  it('refuses to start while something answers on the socket, and never deletes a non-socket', async () => {
    const other = net.createServer();
    await new Promise<void>((resolve) => other.listen(socketPath, resolve));
    await expect(SocketDoor.open({ core, socketPath })).rejects.toThrow(/Another process is listening/);
    await new Promise<void>((resolve) => other.close(() => resolve()));
    writeFileSync(socketPath, 'precious');
    await expect(SocketDoor.open({ core, socketPath })).rejects.toThrow(/is not a socket/);
    expect(existsSync(socketPath)).toBe(true);
  });

  it('refuses a socket path too long for a unix socket, with advice', async () => {
    const longPath = path.join(dir, 'x'.repeat(120), 'core.sock');
    await expect(SocketDoor.open({ core, socketPath: longPath })).rejects.toThrow(/shorter --state-dir/);
  });
});

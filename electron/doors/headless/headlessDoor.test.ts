import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { LOG_FRAME_MARK, logFrameLines, unpackLogFrame } from '../../ipc/logFrame.js';
import { MAX_WIRE_MESSAGE_BYTES } from '../../ipc/wire.js';
import { stoppedStatus, transportCore, type TransportCore } from '../testing/transportCore.js';
import { HeadlessDoor } from './headlessDoor.js';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request: the path goes out byte for byte (no client-side normalisation of `..`). */
function get(port: number, requestPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: requestPath, method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

type Opened = { kind: 'open'; socket: WebSocket } | { kind: 'refused'; status: number };

function connect(port: number, options: { token?: string | null; host?: string; origin?: string | null; path?: string }): Promise<Opened> {
  const query = options.token === null ? '' : `?token=${encodeURIComponent(options.token ?? '')}`;
  const origin = options.origin === undefined ? `http://127.0.0.1:${port}` : options.origin;
  const socket = new WebSocket(`ws://127.0.0.1:${port}${options.path ?? '/ws'}${query}`, {
    headers: options.host ? { Host: options.host } : {},
    ...(origin === null ? {} : { origin }),
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ kind: 'open', socket }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ kind: 'refused', status: response.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

/** The next message's bytes, and whether it was sent as binary. */
function nextRawMessage(socket: WebSocket): Promise<{ bytes: Uint8Array; isBinary: boolean }> {
  return new Promise((resolve) =>
    socket.once('message', (data: Buffer, isBinary: boolean) => resolve({ bytes: new Uint8Array(data), isBinary })),
  );
}

function nextMessage(socket: WebSocket): Promise<unknown> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));
}

function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

describe('the headless door', () => {
  let workDir: string;
  let rendererDir: string;
  let core: TransportCore;
  let door: HeadlessDoor;
  const token = 'test-token-0123456789abcdefghijklmnopqrstuv';

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'bb-headless-'));
    rendererDir = path.join(workDir, 'renderer');
    mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Builder Bar</title>');
    writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("hi")');
    writeFileSync(path.join(rendererDir, 'assets', 'app.css'), 'body{}');
    writeFileSync(path.join(rendererDir, '.env'), 'SECRET=1');
    writeFileSync(path.join(workDir, 'secret.txt'), 'outside the root');
    symlinkSync(path.join(workDir, 'secret.txt'), path.join(rendererDir, 'assets', 'escape.txt'));
    core = transportCore(path.join(workDir, 'state'));
    door = await HeadlessDoor.open({ core, rendererDir, token });
  });

  afterAll(async () => {
    await door.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  describe('static files', () => {
    it('serves index.html for / with the strict CSP and a correct content type', async () => {
      const response = await get(door.port, '/');
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      // WebSockets to this door only, under the two Host spellings it accepts: no other local port.
      const csp = response.headers['content-security-policy'];
      expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${door.port} ws://localhost:${door.port};`);
      expect(csp).toContain("script-src 'self';");
      expect(csp).not.toContain('*');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      // Cross-origin isolated: COOP and COEP together (the e2e suite checks the browser agrees).
      expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(response.headers['cross-origin-embedder-policy']).toBe('require-corp');
      expect(response.body).toContain('<title>Builder Bar</title>');
    });

    it('serves scripts and styles with their content types, HEAD without a body', async () => {
      expect((await get(door.port, '/assets/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect((await get(door.port, '/assets/app.css')).headers['content-type']).toBe('text/css; charset=utf-8');
      const head = await get(door.port, '/assets/app.js', {}, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
    });

    it.each([
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets/escape.txt',
      '/.env',
      '/assets/',
      '/assets',
      '/nope.js',
    ])('refuses %s without leaking anything outside the renderer', async (requestPath) => {
      const response = await get(door.port, requestPath);
      expect(response.status).toBe(404);
      expect(response.body).not.toContain('outside the root');
      expect(response.body).not.toContain('SECRET');
      expect(response.body).not.toContain('app.js'); // no directory listing
    });

    it('refuses a NUL byte and a request for another Host (DNS rebinding)', async () => {
      expect((await get(door.port, '/index.html%00.js')).status).toBe(400);
      const rebound = await get(door.port, '/', { Host: `evil.example:${door.port}` });
      expect(rebound.status).toBe(403);
      expect(rebound.body).not.toContain('Builder Bar');
    });

    it('answers only GET and HEAD', async () => {
      const response = await get(door.port, '/', {}, 'POST');
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD');
    });
  });

  describe('the WebSocket upgrade', () => {
    it('refuses a missing or wrong token with 401', async () => {
      expect(await connect(door.port, { token: null })).toEqual({ kind: 'refused', status: 401 });
      expect(await connect(door.port, { token: 'wrong' })).toEqual({ kind: 'refused', status: 401 });
      expect(await connect(door.port, { token: `${token}x` })).toEqual({ kind: 'refused', status: 401 });
    });

    it('refuses a foreign Host with 403 even with the right token', async () => {
      expect(await connect(door.port, { token, host: `evil.example:${door.port}`, origin: `http://evil.example:${door.port}` })).toEqual({
        kind: 'refused',
        status: 403,
      });
      expect(await connect(door.port, { token, host: `127.0.0.1:${door.port + 1}` })).toEqual({ kind: 'refused', status: 403 });
    });

    it('refuses a foreign or missing Origin with 403 even with the right token', async () => {
      expect(await connect(door.port, { token, origin: 'https://evil.example' })).toEqual({ kind: 'refused', status: 403 });
      expect(await connect(door.port, { token, origin: null })).toEqual({ kind: 'refused', status: 403 });
    });

    it('has no WebSocket anywhere but /ws', async () => {
      expect(await connect(door.port, { token, path: '/socket' })).toEqual({ kind: 'refused', status: 404 });
    });

    it('accepts localhost as well as 127.0.0.1 when Origin matches Host', async () => {
      const opened = await connect(door.port, { token, host: `localhost:${door.port}`, origin: `http://localhost:${door.port}` });
      expect(opened.kind).toBe('open');
      if (opened.kind === 'open') opened.socket.close();
    });
  });

  describe('messages', () => {
    async function open(): Promise<WebSocket> {
      const opened = await connect(door.port, { token });
      if (opened.kind !== 'open') throw new Error(`refused with ${opened.status}`);
      return opened.socket;
    }

    it('answers a request with the envelope, tagged with the door', async () => {
      const socket = await open();
      const reply = nextMessage(socket);
      socket.send(JSON.stringify({ id: 7, name: 'status.get', input: {} }));
      expect(await reply).toEqual({ id: 7, reply: { ok: true, value: stoppedStatus } });
      const info = nextMessage(socket);
      socket.send(JSON.stringify({ id: 8, name: 'app.info', input: {} }));
      expect(await info).toMatchObject({ id: 8, reply: { ok: true, value: { door: 'headless' } } });
      socket.close();
    });

    it('answers an unknown request name and invalid input with invalid-request, never reaching the core', async () => {
      const socket = await open();
      const before = core.received.length;
      const unknown = nextMessage(socket);
      socket.send(JSON.stringify({ id: 1, name: 'vm.destroyEverything', input: {} }));
      expect(await unknown).toMatchObject({ id: 1, reply: { ok: false, error: { code: 'invalid-request' } } });
      const invalid = nextMessage(socket);
      socket.send(JSON.stringify({ id: 2, name: 'vm.start', input: { timeoutSeconds: -5 } }));
      expect(await invalid).toMatchObject({ id: 2, reply: { ok: false, error: { code: 'invalid-request', message: expect.stringContaining('timeoutSeconds') } } });
      const extraKey = nextMessage(socket);
      socket.send(JSON.stringify({ id: 3, name: 'status.get', input: {}, sneaky: true }));
      expect(await extraKey).toMatchObject({ id: 3, reply: { ok: false, error: { code: 'invalid-request' } } });
      expect(core.received.length).toBe(before);
      socket.close();
    });

    it('closes a connection that sends invalid JSON, and keeps serving others', async () => {
      const bad = await open();
      const code = closed(bad);
      bad.send('{ this is not json');
      expect(await code).toBe(1008);
      const good = await open();
      const reply = nextMessage(good);
      good.send(JSON.stringify({ id: 1, name: 'status.get', input: {} }));
      expect(await reply).toMatchObject({ id: 1, reply: { ok: true } });
      good.close();
    });

    it('runs nothing the client sent after the message it closed the connection for', async () => {
      for (const refused of ['{ this is not json', Buffer.from('{}')]) {
        const socket = await open();
        const before = core.received.length;
        const code = closed(socket);
        socket.send(refused, { binary: typeof refused !== 'string' });
        socket.send(JSON.stringify({ id: 2, name: 'vm.stop', input: {} }));
        expect(await code).toBe(typeof refused === 'string' ? 1008 : 1003);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(core.received.slice(before)).toEqual([]);
      }
    });

    it('closes a connection that sends a message over the size limit (1009), without crashing', async () => {
      const socket = await open();
      const code = closed(socket);
      socket.send(JSON.stringify({ id: 1, name: 'status.get', input: { pad: 'x'.repeat(MAX_WIRE_MESSAGE_BYTES) } }));
      expect(await code).toBe(1009);
      expect((await get(door.port, '/')).status).toBe(200);
    });

    it('pushes every core event to every connected client', async () => {
      const first = await open();
      const second = await open();
      const events = Promise.all([nextMessage(first), nextMessage(second)]);
      core.emit({ name: 'status', payload: { ...stoppedStatus, state: 'starting', detail: 'booting' } });
      for (const message of await events) {
        expect(message).toMatchObject({ event: 'status', payload: { state: 'starting', detail: 'booting' } });
      }
      first.close();
      second.close();
    });

    it('sends log lines packed as a binary message, and a line it cannot pack as the plain JSON event', async () => {
      const client = await open();
      const packed = nextRawMessage(client);
      const lines = [
        { seq: 7, time: 1_700_000_000_000, source: 'app' as const, level: 'info' as const, text: '\u001b[31mred\u001b[0m' },
        { seq: 8, time: 1_700_000_000_000, source: 'app' as const, level: 'info' as const, text: '' },
      ];
      core.emit({ name: 'logs', payload: { lines } });
      const { bytes, isBinary } = await packed;
      expect(isBinary).toBe(true);
      expect(String.fromCharCode(bytes[0]!)).toBe(LOG_FRAME_MARK);
      expect(logFrameLines(unpackLogFrame(bytes)!)).toEqual(lines);

      const plain = nextMessage(client);
      const odd = [{ ...lines[0]!, text: 'two\nlines' }];
      core.emit({ name: 'logs', payload: { lines: odd } });
      expect(await plain).toEqual({ event: 'logs', payload: { lines: odd } });
      client.close();
    });
  });
});

describe('closing the headless door', () => {
  it('stops listening and unsubscribes from the core', async () => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'bb-headless-close-'));
    const core = transportCore(workDir);
    let door: HeadlessDoor | null = null;
    try {
      door = await HeadlessDoor.open({ core, rendererDir: workDir });
      expect(core.listenerCount).toBe(1);
      expect(door.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${door.port}/#token=[A-Za-z0-9_-]{43}$`));
      const notBuilt = await get(door.port, '/');
      expect(notBuilt.status).toBe(503);
      expect(notBuilt.body).toContain('npm run build');
      await door.close();
      expect(core.listenerCount).toBe(0);
      await expect(get(door.port, '/')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await door?.close();
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});

describe('an answer the headless door cannot write as JSON', () => {
  it('is an internal-error envelope naming the request, so the page is answered, and the door keeps serving', async () => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'bb-headless-unsendable-'));
    // A value JSON has no form for stands in for a reply past the longest string V8 can make.
    const core = transportCore(workDir, () => ({ 'status.get': () => ({ ...stoppedStatus, since: 1n as unknown as number }) }));
    const token = 'test-token-0123456789abcdefghijklmnopqrstuv';
    const door = await HeadlessDoor.open({ core, rendererDir: workDir, token });
    try {
      const opened = await connect(door.port, { token });
      if (opened.kind !== 'open') throw new Error(`refused with ${opened.status}`);
      const reply = nextMessage(opened.socket);
      opened.socket.send(JSON.stringify({ id: 3, name: 'status.get', input: {} }));
      expect(await reply).toEqual({
        id: 3,
        reply: { ok: false, error: { code: 'internal', message: expect.stringMatching(/^The answer to status\.get could not be sent: .*BigInt/), hint: expect.stringContaining('builder-bar diagnostics') } },
      });
      const info = nextMessage(opened.socket);
      opened.socket.send(JSON.stringify({ id: 4, name: 'app.info', input: {} }));
      expect(await info).toMatchObject({ id: 4, reply: { ok: true } });
      opened.socket.close();
    } finally {
      await door.close();
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});

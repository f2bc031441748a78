import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, WebSocket as NodeWebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import type { ConnectionInfo } from './connection.js';
import type { LogLine, Settings, Status } from './contract.js';
import { LOG_FRAME_MARK, logFrameLines, packLogLines, type LogFrame } from '../../../electron/ipc/logFrame.js';
import { createWebSocketApi, disconnectedError, type WebSocketApi, type WebSocketLike } from './wsClient.js';
import { initialStatus } from '../../../electron/ipc/initialStatus.js';
import { defaultSettings } from '../../../electron/core/settings/defaults.js';

const status: Status = { ...initialStatus('linux-test', 1_700_000_000_000), detail: '' };

const settings: Settings = defaultSettings('linux');

type Responder = (request: { id: number; name: string; input: unknown }, socket: NodeWebSocket) => void;

/** A real WebSocket server on loopback speaking the door's wire format, answering with `respond`. */
async function startDoor(respond: Responder, port = 0): Promise<{ server: WebSocketServer; url: string; port: number }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port, path: '/ws' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (socket) => {
    socket.on('message', (data) => respond(JSON.parse(String(data)), socket));
  });
  const actualPort = (server.address() as AddressInfo).port;
  return { server, url: `ws://127.0.0.1:${actualPort}/ws?token=t`, port: actualPort };
}

async function stopDoor(server: WebSocketServer): Promise<void> {
  for (const client of server.clients) client.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const nodeSocket = (url: string): WebSocketLike => new NodeWebSocket(url) as unknown as WebSocketLike;

function waitForConnection(client: WebSocketApi, state: ConnectionInfo['state']): Promise<ConnectionInfo> {
  if (client.connection.get().state === state) return Promise.resolve(client.connection.get());
  return new Promise((resolve) => {
    const unsubscribe = client.connection.subscribe((info) => {
      if (info.state === state) {
        unsubscribe();
        resolve(info);
      }
    });
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('WebSocket client of the headless door', () => {
  it('sends named requests on the wire and resolves each with its own reply', async () => {
    const seen: string[] = [];
    const { server, url } = await startDoor((request, socket) => {
      seen.push(request.name);
      const value = request.name === 'status.get' ? status : settings;
      socket.send(JSON.stringify({ id: request.id, reply: { ok: true, value } }));
    });
    cleanups.push(() => stopDoor(server));
    const client = createWebSocketApi({ url, createSocket: nodeSocket });
    cleanups.push(() => client.close());

    // Made before the socket opened: they wait for it rather than failing.
    const [gotStatus, gotSettings] = await Promise.all([client.api.getStatus({}), client.api.getSettings({})]);
    expect(gotStatus).toEqual({ ok: true, value: status });
    expect(gotSettings).toEqual({ ok: true, value: settings });
    expect(seen.sort()).toEqual(['settings.get', 'status.get']);
    expect(client.connection.get().state).toBe('open');
  });

  it('passes error envelopes through unchanged', async () => {
    const { server, url } = await startDoor((request, socket) => {
      socket.send(
        JSON.stringify({
          id: request.id,
          reply: { ok: false, error: { code: 'busy', message: 'Another operation holds the builder.', hint: 'Wait.' } },
        }),
      );
    });
    cleanups.push(() => stopDoor(server));
    const client = createWebSocketApi({ url, createSocket: nodeSocket });
    cleanups.push(() => client.close());
    expect(await client.api.startBuilder({})).toEqual({
      ok: false,
      error: { code: 'busy', message: 'Another operation holds the builder.', hint: 'Wait.' },
    });
  });

  it('turns a reply the contract does not describe into an error envelope', async () => {
    const { server, url } = await startDoor((request, socket) => {
      socket.send(JSON.stringify({ id: request.id, reply: { ok: true, value: { state: 'flying' } } }));
    });
    cleanups.push(() => stopDoor(server));
    const client = createWebSocketApi({ url, createSocket: nodeSocket });
    cleanups.push(() => client.close());
    const reply = await client.api.getStatus({});
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.message).toMatch(/status\.get .* does not understand/);
  });

  it('delivers valid events to listeners and drops malformed ones', async () => {
    const { server, url } = await startDoor(() => undefined);
    cleanups.push(() => stopDoor(server));
    const client = createWebSocketApi({ url, createSocket: nodeSocket });
    cleanups.push(() => client.close());
    await waitForConnection(client, 'open');

    const received: Status[] = [];
    const unsubscribe = client.api.on('status', (payload) => received.push(payload));
    const ready: Status = { ...status, state: 'ready', pid: 1234 };
    const [socket] = [...server.clients];
    socket!.send(JSON.stringify({ event: 'status', payload: { state: 'nonsense' } }));
    socket!.send(JSON.stringify({ event: 'status', payload: ready }));
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toEqual(ready);

    unsubscribe();
    socket!.send(JSON.stringify({ event: 'status', payload: status }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toHaveLength(1);
  });

  it('delivers packed log frames as the logs event, and ignores a malformed one', async () => {
    const { server, url } = await startDoor(() => undefined);
    cleanups.push(() => stopDoor(server));
    const client = createWebSocketApi({ url, createSocket: nodeSocket });
    cleanups.push(() => client.close());
    await waitForConnection(client, 'open');

    const received: LogLine[][] = [];
    client.api.on('logs', ({ lines }) => received.push(Array.isArray(lines) ? [...lines] : logFrameLines(lines as LogFrame)));
    const lines: LogLine[] = [
      { seq: 3, time: 1_700_000_000_000, source: 'build:b1', level: 'error', text: 'failed' },
      { seq: 4, time: 1_700_000_000_000, source: 'build:b1', level: 'error', text: '' },
    ];
    const [socket] = [...server.clients];
    socket!.send(Buffer.from(`${LOG_FRAME_MARK}{"runs":[[1,5,"nowhere","info",1]]}\nx`), { binary: true });
    // A frame sent as text is no frame: it is not JSON either, so nothing is delivered (were it
    // delivered, its line would come first, before the good frame's).
    const asText = packLogLines([{ seq: 1, time: 5, source: 'app', level: 'info', text: 'sent as text' }])!;
    socket!.send(asText.head + asText.texts);
    const { head, texts } = packLogLines(lines)!;
    socket!.send(Buffer.from(head + texts), { binary: true });
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toEqual(lines);
  });

  it('answers requests in flight with an error envelope when the door goes away, then reconnects', async () => {
    let answer = false;
    const door = await startDoor((request, socket) => {
      if (answer) socket.send(JSON.stringify({ id: request.id, reply: { ok: true, value: status } }));
    });
    const port = door.port;
    const client = createWebSocketApi({ url: door.url, createSocket: nodeSocket, retryDelayMs: () => 50 });
    cleanups.push(() => client.close());
    await waitForConnection(client, 'open');

    const inFlight = client.api.getStatus({});
    await new Promise((resolve) => setTimeout(resolve, 50));
    await stopDoor(door.server);
    expect(await inFlight).toEqual({ ok: false, error: disconnectedError });

    const reconnecting = await waitForConnection(client, 'reconnecting');
    expect(reconnecting.attempt).toBeGreaterThanOrEqual(1);

    // The door comes back on the same port: the client finds it without help.
    answer = true;
    const again = await startDoor((request, socket) => {
      socket.send(JSON.stringify({ id: request.id, reply: { ok: true, value: status } }));
    }, port);
    cleanups.push(() => stopDoor(again.server));
    const reopened = await waitForConnection(client, 'open');
    expect(reopened.attempt).toBe(0);
    expect(await client.api.getStatus({})).toEqual({ ok: true, value: status });
  });

  it('refuses at once, with the envelope, a request made while waiting to reconnect', async () => {
    const client = createWebSocketApi({
      url: 'ws://127.0.0.1:9/ws?token=t',
      createSocket: nodeSocket,
      retryDelayMs: () => 60_000,
    });
    cleanups.push(() => client.close());
    await waitForConnection(client, 'reconnecting');
    const started = Date.now();
    expect(await client.api.stopBuilder({ force: true })).toEqual({ ok: false, error: disconnectedError });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(client.connection.get().nextAttemptAt).not.toBeNull();
  });
});

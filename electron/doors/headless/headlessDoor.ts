/**
 * The headless door: the same React renderer the Electron window shows, served to any browser
 * from 127.0.0.1, talking to the core over a WebSocket. It exists so the whole app can be used
 * and tested end to end (Playwright in Chromium) where Electron cannot run, and it must be as
 * closed as the Electron window: loopback only, a per-run token, Host and Origin checked
 * (see requestChecks.ts), the renderer's CSP on every response.
 *
 * Like every door it holds no logic: requests go through `dispatch()`, and every core event
 * is pushed to every connected client (each one is a live UI mirroring the core's state).
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Core } from '../../core/core.js';
import type { CoreEvent, LogLine } from '../../ipc/contract.js';
import { dispatch } from '../dispatch.js';
import { MAX_WIRE_MESSAGE_BYTES, replyJson, type WireMessage } from '../../ipc/wire.js';
import { parseWireRequest } from '../wireRequests.js';
import { newAccessToken } from './accessToken.js';
import { logFrameBytes } from '../logFrameBytes.js';
import { LogBackpressure } from './logBackpressure.js';
import { checkHost, checkUpgrade, doorHosts, type RefusalStatus } from './requestChecks.js';
import { respondWithText, serveStaticFileOrFail } from './staticFiles.js';
import { reportUnexpected } from '../../core/util/unexpectedErrors.js';
import { keepListeningThroughErrors } from '../keepListening.js';

/**
 * The page's CSP. It may open WebSockets to this door alone, under each Host spelling the door
 * accepts (requestChecks.ts), never to any other port on 127.0.0.1: a page that ran injected
 * script still could not reach another local service (another Builder Bar's door, a debugger
 * port). Without a port (a page that is no door's, such as the benchmark's) it may open none.
 */
export function contentSecurityPolicy(port: number | null = null): string {
  const sockets = port === null ? '' : doorHosts(port).map((host) => ` ws://${host}`).join('');
  return `default-src 'self'; script-src 'self'; connect-src 'self'${sockets}; style-src 'self' 'unsafe-inline'; img-src 'self' data:`;
}

/**
 * Sent with every response (the door's, with its port: `securityHeadersFor`). COOP + COEP make
 * the page cross-origin isolated: no other origin's window can hold a reference to it or have
 * its resources embedded in it (everything the renderer loads is its own), and, as a side effect
 * that the log-view benchmark relies on, its clocks (performance.now, requestAnimationFrame
 * times) are precise to 5 µs instead of 100 µs.
 */
export function securityHeadersFor(port: number | null): Readonly<Record<string, string>> {
  return { ...securityHeaders, 'Content-Security-Policy': contentSecurityPolicy(port) };
}

/** The headers of a page that is no door's (no WebSocket allowed): the benchmark's page server. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'Content-Security-Policy': contentSecurityPolicy(),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * A browser tab that stops reading (a frozen tab) is dropped once this much waits for it. Log
 * floods never get here: they are paced per client (LogBackpressure).
 */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** WebSocket close codes (RFC 6455). */
const CLOSE_GOING_AWAY = 1001;
const CLOSE_UNSUPPORTED_DATA = 1003;
const CLOSE_POLICY_VIOLATION = 1008;

const reasonPhrases: Record<RefusalStatus, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
};

export interface HeadlessDoorOptions {
  core: Core;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The built renderer (`out/renderer/`). */
  rendererDir: string;
  /** For tests; otherwise a fresh random token per run. */
  token?: string;
}

export class HeadlessDoor {
  private readonly unsubscribe: () => void;
  private readonly logPacing = new Map<WebSocket, LogBackpressure>();
  private closed = false;

  private constructor(
    private readonly server: http.Server,
    private readonly sockets: WebSocketServer,
    private readonly core: Core,
    readonly port: number,
    readonly token: string,
  ) {
    this.unsubscribe = core.subscribe((event) => this.broadcast(event));
    sockets.on('connection', (client) => this.accept(client));
  }

  /** The line `serve` prints: the token travels in the fragment, which is never sent to a server. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/#token=${this.token}`;
  }

  static async open(options: HeadlessDoorOptions): Promise<HeadlessDoor> {
    const token = options.token ?? newAccessToken();
    const rendererDir = options.rendererDir;
    // The port is only known after listen(); the handlers read it from this box.
    const identity = { port: 0, token };

    // Made once the port is known (no request arrives before listen() has answered).
    let headers: Readonly<Record<string, string>> = securityHeaders;
    const server = http.createServer((request, response) => {
      for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
      const host = checkHost(request.headers.host, identity.port);
      if (!host.ok) {
        respondWithText(response, host.status, host.reason);
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        respondWithText(response, 405, 'Only GET and HEAD are served here.', { Allow: 'GET, HEAD' });
        return;
      }
      if (!existsSync(path.join(rendererDir, 'index.html'))) {
        respondWithText(response, 503, `The renderer is not built (no ${path.join(rendererDir, 'index.html')}). Run: npm run build`);
        return;
      }
      serveStaticFileOrFail(rendererDir, request, response);
    });

    const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WIRE_MESSAGE_BYTES, perMessageDeflate: false });
    server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      const verdict = checkUpgrade(
        { url: request.url, host: request.headers.host, origin: request.headers.origin },
        identity,
      );
      if (!verdict.ok) {
        refuseUpgrade(socket, verdict.status, verdict.reason);
        return;
      }
      sockets.handleUpgrade(request, socket, head, (client) => sockets.emit('connection', client, request));
    });

    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('The headless door did not get a TCP port.');
    identity.port = address.port;
    headers = securityHeadersFor(address.port);
    // A failed accept after this point is logged, not fatal: see keepListening.ts.
    keepListeningThroughErrors(server, `the browser door http://127.0.0.1:${address.port}/`);
    return new HeadlessDoor(server, sockets, options.core, address.port, token);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const client of this.sockets.clients) client.close(CLOSE_GOING_AWAY, 'Builder Bar is shutting down');
    // Give clients a moment to see the close frame, then cut whatever is left.
    await new Promise((resolve) => setTimeout(resolve, 100).unref());
    for (const client of this.sockets.clients) client.terminate();
    await new Promise<void>((resolve) => this.sockets.close(() => resolve()));
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await stopped;
  }

  private accept(client: WebSocket): void {
    // ws reports bad frames (including messages over maxPayload, closed with 1009) as errors on
    // the client; without a listener they would crash the process.
    client.on('error', () => client.terminate());
    client.on('message', (data: RawData, isBinary: boolean) => {
      // ws still delivers what arrives after the door closed the connection (a request sent
      // right behind a refused message): once the door hung up, nothing more is run.
      if (client.readyState !== WebSocket.OPEN) return;
      if (isBinary) {
        client.close(CLOSE_UNSUPPORTED_DATA, 'Send JSON text messages');
        return;
      }
      const parsed = parseWireRequest(rawText(data));
      if (!parsed.ok) {
        if (parsed.id === null) client.close(CLOSE_POLICY_VIOLATION, parsed.error.message.slice(0, 120));
        else send(client, { id: parsed.id, reply: { ok: false, error: parsed.error } });
        return;
      }
      const { id, name, input } = parsed.message;
      // dispatch() answers every failure with an error envelope; only sending it can still fail.
      dispatch(this.core, 'headless', name, input)
        .then((reply) => sendMessage(client, replyJson(id, reply, name, (error) => reportUnexpected(`Writing the answer to "${name}" on the WebSocket`, error))))
        .catch((error: unknown) => reportUnexpected(`Replying to "${name}" on the WebSocket`, error));
    });
  }

  private broadcast(event: CoreEvent): void {
    if (this.sockets.clients.size === 0) return;
    if (event.name === 'logs') {
      for (const client of this.sockets.clients) this.logPacingFor(client).offer(event.payload.lines);
      return;
    }
    const text = JSON.stringify({ event: event.name, payload: event.payload } satisfies WireMessage);
    for (const client of this.sockets.clients) sendMessage(client, text);
  }

  /** Log lines go through per-client pacing, so a flood waits for a slow tab instead of cutting it off. */
  private logPacingFor(client: WebSocket): LogBackpressure {
    let pacing = this.logPacing.get(client);
    if (!pacing) {
      pacing = new LogBackpressure(client, (lines) => sendLogLines(client, lines));
      this.logPacing.set(client, pacing);
      client.once('close', () => {
        pacing?.close();
        this.logPacing.delete(client);
      });
    }
    return pacing;
  }
}

function send(client: WebSocket, message: WireMessage): void {
  sendMessage(client, JSON.stringify(message));
}

/** Packed (logFrame.ts) as a binary message; as the JSON event (text) when they cannot be packed. */
function sendLogLines(client: WebSocket, lines: LogLine[]): void {
  const frame = logFrameBytes(lines);
  if (!frame) {
    send(client, { event: 'logs', payload: { lines } });
    return;
  }
  sendMessage(client, frame, true);
}

/** A text message (given bytes, they must be UTF-8), or a binary one. */
function sendMessage(client: WebSocket, data: string | Buffer, binary = false): void {
  if (client.readyState !== WebSocket.OPEN) return;
  if (client.bufferedAmount > MAX_BUFFERED_BYTES) {
    client.terminate();
    return;
  }
  client.send(data, { binary });
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function refuseUpgrade(socket: Duplex, status: RefusalStatus, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reasonPhrases[status]}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
}

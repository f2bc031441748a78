/**
 * The socket door: a unix socket in the state dir (`core.sock`, mode 0600) speaking
 * newline-delimited JSON (see socketProtocol.ts); its clients are the CLI and `builder-bar
 * proxy` (cli/socketClient.ts), which live apart from it. Like every door it holds no logic: requests
 * go through `dispatch()`, events come from `core.subscribe`.
 *
 * The socket is created with mode 0600 (umask set around the bind, so there is no moment when
 * another user could connect) inside the 0700 state dir. A socket file left by a dead core is
 * removed only after checking that nothing answers on it.
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import type { Core } from '../../core/core.js';
import type { CoreEvent, EventName } from '../../ipc/contract.js';
import { dispatch } from '../dispatch.js';
import { MAX_WIRE_MESSAGE_BYTES, replyJson, type WireMessage } from '../../ipc/wire.js';
import { invalidRequest, parseMessage } from '../wireRequests.js';
import { LineSplitter } from './lineFraming.js';
import { isHold, isSubscribe, socketMessageSchemaFor, type SocketFatal } from './socketProtocol.js';
import { toErrorInfo } from '../../core/errors.js';
import { reportUnexpected } from '../../core/util/unexpectedErrors.js';
import { assertSocketPathFits } from '../../core/util/unixSocketPath.js';
import { keepListeningThroughErrors } from '../keepListening.js';

/** A client that stops reading is dropped once this much output waits for it. */
const MAX_PENDING_OUTPUT_BYTES = 16 * 1024 * 1024;

export interface SocketDoorOptions {
  core: Core;
  socketPath: string;
}

interface Session {
  socket: net.Socket;
  subscribed: Set<EventName>;
  /** Builder holds (`builder-bar proxy`), released when the connection closes. */
  releases: Array<() => void>;
  /**
   * Set once the door refused a line and hung up: whatever the client sent after it (in the
   * same chunk, or before it saw the hang-up) is not read, so no request behind a refused
   * line ever runs.
   */
  hungUp: boolean;
}

export class SocketDoor {
  private readonly sessions = new Set<Session>();
  private readonly unsubscribe: () => void;
  private closed = false;

  private constructor(
    private readonly server: net.Server,
    private readonly core: Core,
    readonly socketPath: string,
  ) {
    this.unsubscribe = core.subscribe((event) => this.broadcast(event));
    server.on('connection', (socket) => this.accept(socket));
  }

  static async open(options: SocketDoorOptions): Promise<SocketDoor> {
    const { socketPath } = options;
    assertSocketPathFits(socketPath, 'The CLI socket');
    await removeStaleSocket(socketPath);
    const server = net.createServer();
    const door = new SocketDoor(server, options.core, socketPath);
    await listenPrivately(server, socketPath);
    // A failed accept after this point is logged, not fatal: see keepListening.ts.
    keepListeningThroughErrors(server, `the CLI socket ${socketPath}`);
    return door;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const session of this.sessions) session.socket.destroy();
    this.sessions.clear();
    await stopped;
    await fs.rm(this.socketPath, { force: true });
  }

  private accept(socket: net.Socket): void {
    const session: Session = { socket, subscribed: new Set(), releases: [], hungUp: false };
    this.sessions.add(session);
    const splitter = new LineSplitter(MAX_WIRE_MESSAGE_BYTES);
    socket.on('data', (chunk: Buffer) => {
      if (session.hungUp) return;
      for (const event of splitter.push(chunk)) {
        if (session.hungUp) return;
        if (event.kind === 'too-long') {
          this.hangUp(session, invalidRequest(`Message larger than ${MAX_WIRE_MESSAGE_BYTES} bytes.`));
          return;
        }
        this.receive(session, event.text);
      }
    });
    // A client that vanishes mid-request is not an error of the core's.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sessions.delete(session);
      for (const release of session.releases.splice(0)) release();
    });
  }

  private receive(session: Session, text: string): void {
    const parsed = parseMessage(text, socketMessageSchemaFor);
    if (!parsed.ok) {
      if (parsed.id === null) this.hangUp(session, parsed.error);
      else this.send(session, { id: parsed.id, reply: { ok: false, error: parsed.error } });
      return;
    }
    const message = parsed.message;
    if (isSubscribe(message)) {
      session.subscribed = new Set(message.subscribe);
      this.send(session, { id: message.id, reply: { ok: true, value: { subscribed: [...session.subscribed] } } });
      return;
    }
    if (isHold(message)) {
      this.hold(session, message.id);
      return;
    }
    // dispatch() answers every failure with an error envelope; only sending it can still fail.
    dispatch(this.core, 'cli', message.name, message.input)
      .then((reply) => {
        const text = replyJson(message.id, reply, message.name, (error) => reportUnexpected(`Writing the answer to "${message.name}" on the CLI socket`, error));
        this.write(session, `${text}\n`);
      })
      .catch((error: unknown) => reportUnexpected(`Replying to "${message.name}" on the CLI socket`, error));
  }

  /** Holds the builder for as long as this connection lives; a proxy that dies releases it. */
  private hold(session: Session, id: number): void {
    this.core
      .holdBuilder()
      .then((lease) => {
        if (session.socket.destroyed) {
          lease.release();
          return;
        }
        session.releases.push(() => lease.release());
        this.send(session, { id, reply: { ok: true, value: { sshPort: lease.sshPort } } });
      })
      .catch((error: unknown) => this.send(session, { id, reply: { ok: false, error: toErrorInfo(error) } }));
  }

  private broadcast(event: CoreEvent): void {
    let line: string | null = null;
    for (const session of this.sessions) {
      if (!session.subscribed.has(event.name)) continue;
      line ??= `${JSON.stringify({ event: event.name, payload: event.payload } satisfies WireMessage)}\n`;
      this.write(session, line);
    }
  }

  private send(session: Session, message: WireMessage | SocketFatal): void {
    this.write(session, `${JSON.stringify(message)}\n`);
  }

  private write(session: Session, line: string): void {
    const { socket } = session;
    if (socket.destroyed || !socket.writable) return;
    if (socket.writableLength > MAX_PENDING_OUTPUT_BYTES) {
      socket.destroy();
      return;
    }
    socket.write(line);
  }

  private hangUp(session: Session, error: SocketFatal['fatal']): void {
    session.hungUp = true;
    this.send(session, { fatal: error });
    session.socket.end();
  }
}

/** Binds with umask 0177 so the socket is born 0600, then sets the mode again explicitly. */
async function listenPrivately(server: net.Server, socketPath: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    let previousUmask: number | null = null;
    try {
      previousUmask = process.umask(0o177);
    } catch {
      // Worker threads cannot change the umask; the 0700 state dir still keeps others out
      // until the chmod below.
    }
    try {
      // For a unix socket, Node binds synchronously inside listen(), so the umask applies.
      server.listen(socketPath, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      if (previousUmask !== null) process.umask(previousUmask);
    }
  });
  await fs.chmod(socketPath, 0o600);
}

/** Removes a socket file nobody answers on; refuses to touch anything that is not a socket. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  let stat;
  try {
    stat = await fs.lstat(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stat.isSocket()) {
    throw new Error(`${socketPath} exists and is not a socket; Builder Bar will not remove it. Move it away and try again.`);
  }
  if (await somethingAnswers(socketPath)) {
    throw new Error(`Another process is listening on ${socketPath}.`);
  }
  await fs.rm(socketPath, { force: true });
}

export function somethingAnswers(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    const done = (answer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    // A listener that accepts but hangs still holds the path: count it as alive.
    const timer = setTimeout(() => done(true), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

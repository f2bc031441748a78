/**
 * The CLI's side of the socket: connect to the core that owns a state dir, send requests from
 * the contract, and receive replies and (when subscribed) events. Replies and events are
 * checked against the contract too, so a command never prints something of the wrong shape.
 */
import net from 'node:net';
import path from 'node:path';
import { BuilderBarError } from '../../core/errors.js';
import { shellQuoted } from '../../core/stateDirProblem.js';
import {
  events,
  isEventName,
  requests,
  type CoreEvent,
  type Envelope,
  type EventName,
  type RequestInput,
  type RequestName,
  type RequestOutput,
} from '../../ipc/contract.js';
import { LineSplitter } from '../socket/lineFraming.js';

/** No core listens on this state dir's socket (no file, or a file nobody answers on). */
export class NoCoreRunningError extends Error {
  constructor(readonly socketPath: string) {
    super(`No core answers on ${socketPath}.`);
    this.name = 'NoCoreRunningError';
  }
}

/**
 * A socket whose queue of waiting connections is full (Linux's EAGAIN): a core that accepts no
 * one (stopped, stuck) or one that something floods. Not "no core": one holds the socket.
 */
export class CoreNotAcceptingError extends BuilderBarError {
  constructor(readonly socketPath: string) {
    const stateDir = path.dirname(socketPath);
    super(
      'busy',
      `The Builder Bar core for ${stateDir} is not taking connections: too many wait on its socket (it may be stuck, or something floods it).`,
      unresponsiveCoreHint(stateDir),
    );
    this.name = 'CoreNotAcceptingError';
  }
}

/**
 * The socket, or a directory on its way, is not this user's to use: most often another user's
 * state dir (a `sudo builder-bar serve` once made it root's), or a HOME that is not this user's.
 */
export class SocketNotPermittedError extends BuilderBarError {
  constructor(readonly socketPath: string) {
    const stateDir = path.dirname(socketPath);
    super(
      'disk',
      `Permission denied reaching the Builder Bar core's socket ${socketPath}: the state dir ${stateDir} is not yours to use.`,
      `If it is your state dir (made by a "sudo builder-bar …" perhaps), give it back to you: sudo chown -R "$(id -un)" ${shellQuoted(stateDir)}. ` +
        'Or use your own state dir: --state-dir DIR (or BUILDER_BAR_HOME=DIR).',
    );
    this.name = 'SocketNotPermittedError';
  }
}

/** What to do about a core that holds its socket but does not serve it. */
export function unresponsiveCoreHint(stateDir: string): string {
  return (
    `If this persists, the core may be stopped (Ctrl-Z in its terminal) or stuck: its pid is in ${path.join(stateDir, 'core.lock')}. ` +
    'Ending that process and starting Builder Bar again brings it back; the builder VM keeps running and the new core adopts it.'
  );
}

/** The core went away while the command was talking to it. */
export class ConnectionLostError extends Error {
  constructor() {
    super('The Builder Bar core closed the connection (did it stop?).');
    this.name = 'ConnectionLostError';
  }
}

/**
 * A connection to the core's socket, or the refusal in words: every client (the CLI's requests,
 * the on-demand proxy) reads connect's errno the same way, so none of them calls a socket it may
 * not use "not running".
 */
export function connectCoreSocket(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // ENOTDIR: a file stands where a directory on the way should be, so no core can listen there.
      const nobodyHome = error.code === 'ENOENT' || error.code === 'ECONNREFUSED' || error.code === 'ENOTSOCK' || error.code === 'ENOTDIR';
      if (nobodyHome) reject(new NoCoreRunningError(socketPath));
      else if (error.code === 'EAGAIN') reject(new CoreNotAcceptingError(socketPath));
      else if (error.code === 'EACCES' || error.code === 'EPERM') reject(new SocketNotPermittedError(socketPath));
      else reject(error);
    });
  });
}

type Pending = { resolve: (reply: unknown) => void; reject: (error: Error) => void };

/** Replies can be large (a log tail of 100 000 lines), so the client accepts more than the core does. */
const MAX_REPLY_LINE_BYTES = 256 * 1024 * 1024;

export class CoreClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<(event: CoreEvent) => void>();
  private readonly closeListeners = new Set<(error: Error) => void>();
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    const splitter = new LineSplitter(MAX_REPLY_LINE_BYTES);
    socket.on('data', (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) {
        if (line.kind === 'too-long') {
          this.fail(new Error('The core sent a reply too large to read.'));
          return;
        }
        this.receive(line.text);
      }
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new ConnectionLostError()));
  }

  static async connect(socketPath: string): Promise<CoreClient> {
    return new CoreClient(await connectCoreSocket(socketPath));
  }

  async request<N extends RequestName>(name: N, input: RequestInput<N>): Promise<Envelope<RequestOutput<N>>> {
    return this.requestUnchecked(name, input);
  }

  /**
   * For input built from what the user typed (`settings set`): the core checks it against the
   * contract and its refusal, with the reason, is what the user should see.
   */
  async requestUnchecked<N extends RequestName>(name: N, input: unknown): Promise<Envelope<RequestOutput<N>>> {
    const raw = await this.send(name, input);
    const envelope = raw as Envelope<unknown>;
    if (!envelope.ok) return envelope;
    const checked = requests[name].output.safeParse(envelope.value);
    if (!checked.success) {
      return {
        ok: false,
        error: { code: 'internal', message: `The core's reply to ${name} does not match the contract.`, hint: 'Is the CLI from the same version as the running core?' },
      };
    }
    return { ok: true, value: checked.data as RequestOutput<N> };
  }

  /** Asks the core to push these events; resolves once it will. */
  async subscribe(names: EventName[], listener: (event: CoreEvent) => void): Promise<void> {
    this.eventListeners.add(listener);
    const id = this.nextId++;
    const reply = (await this.exchange(id, { id, subscribe: names })) as Envelope<unknown>;
    if (!reply.ok) throw new Error(reply.error.message);
  }

  /** Called once, when the connection ends for any reason other than `close()`. */
  onClose(listener: (error: Error) => void): void {
    this.closeListeners.add(listener);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
    for (const pending of this.pending.values()) pending.reject(new ConnectionLostError());
    this.pending.clear();
  }

  private send(name: RequestName, input: unknown): Promise<unknown> {
    const id = this.nextId++;
    return this.exchange(id, { id, name, input });
  }

  private exchange(id: number, message: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new ConnectionLostError());
        return;
      }
      this.pending.set(id, { resolve, reject });
      this.socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  private receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.fail(new Error('The core sent a line that is not JSON.'));
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    if ('fatal' in message) {
      const fatal = (message as { fatal: { message?: unknown } }).fatal;
      this.fail(new Error(`The core refused the connection: ${String(fatal.message)}`));
      return;
    }
    if ('id' in message && 'reply' in message) {
      const { id, reply } = message as { id: number; reply: unknown };
      const pending = this.pending.get(id);
      if (pending) {
        this.pending.delete(id);
        pending.resolve(reply);
      }
      return;
    }
    if ('event' in message && 'payload' in message) {
      const { event, payload } = message as { event: unknown; payload: unknown };
      if (!isEventName(event)) return;
      const checked = events[event].safeParse(payload);
      if (!checked.success) return;
      // The schema lookup by name proves the pairing; TypeScript cannot follow it.
      const coreEvent = { name: event, payload: checked.data } as CoreEvent;
      for (const listener of this.eventListeners) listener(coreEvent);
    }
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    for (const listener of this.closeListeners) listener(error);
  }
}

/**
 * Raw clients of the two socket doors (the CLI's unix socket, the headless WebSocket) for the
 * soak scenarios. Unlike the CLI's own `CoreClient`, they check nothing and forgive nothing:
 * a test can send any frame (not JSON, binary, oversized) and see exactly what came back, a
 * reply for an id, an event, or the door hanging up (with its WebSocket close code, or the
 * socket door's `fatal` line).
 */
import net from 'node:net';
import { WebSocket } from 'ws';
import { LineSplitter } from '../doors/socket/lineFraming.js';
import { WEBSOCKET_PATH } from '../doors/headless/requestChecks.js';
import { logFrameLines, unpackLogFrame } from '../ipc/logFrame.js';

export type DoorOutcome =
  | { kind: 'reply'; reply: unknown }
  | { kind: 'closed'; code: number | null; reason: string }
  | { kind: 'timeout' };

type Waiter = (outcome: DoorOutcome) => void;

export abstract class RawDoorClient {
  abstract readonly door: 'cli' | 'headless';
  private nextId = 1;
  private readonly replies = new Map<number, Waiter>();
  private readonly closeWaiters = new Set<Waiter>();
  protected readonly eventListeners = new Set<(name: string, payload: unknown) => void>();
  private closedWith: { code: number | null; reason: string } | null = null;
  /** The socket door's `fatal` notice, kept as the reason of the close that follows it. */
  private fatalReason = '';
  /** Lines that were neither a reply, an event nor a fatal notice (a door must never send them). */
  readonly strangeMessages: string[] = [];

  /** Sends one frame: a line on the socket (the newline is added), a text message on the WebSocket. */
  abstract sendText(text: string): void;
  /** Bytes as they are: a binary WebSocket message, or raw bytes plus a newline on the socket. */
  abstract sendBytes(bytes: Buffer, binary: boolean): void;
  abstract close(): void;

  isOpen(): boolean {
    return this.closedWith === null;
  }

  /** A fresh id for a request this client makes. */
  takeId(): number {
    return this.nextId++;
  }

  /** The reply for `id`, or the door closing, or nothing within `timeoutMs`. */
  waitReply(id: number, timeoutMs: number): Promise<DoorOutcome> {
    return new Promise((resolve) => {
      if (this.closedWith) {
        resolve({ kind: 'closed', ...this.closedWith });
        return;
      }
      const timer = setTimeout(() => {
        this.replies.delete(id);
        this.closeWaiters.delete(done);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      const done: Waiter = (outcome) => {
        clearTimeout(timer);
        this.replies.delete(id);
        this.closeWaiters.delete(done);
        resolve(outcome);
      };
      this.replies.set(id, done);
      this.closeWaiters.add(done);
    });
  }

  /** The door hanging up, or nothing within `timeoutMs`. */
  waitClosed(timeoutMs: number): Promise<DoorOutcome> {
    return new Promise((resolve) => {
      if (this.closedWith) {
        resolve({ kind: 'closed', ...this.closedWith });
        return;
      }
      const timer = setTimeout(() => {
        this.closeWaiters.delete(done);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      const done: Waiter = (outcome) => {
        clearTimeout(timer);
        this.closeWaiters.delete(done);
        resolve(outcome);
      };
      this.closeWaiters.add(done);
    });
  }

  /** A well-formed request; throws when the door closes or stays silent. */
  async request(name: string, input: unknown, timeoutMs = 60_000): Promise<unknown> {
    const id = this.takeId();
    const waiting = this.waitReply(id, timeoutMs);
    this.sendText(JSON.stringify({ id, name, input }));
    const outcome = await waiting;
    if (outcome.kind === 'reply') return outcome.reply;
    throw new Error(`${this.door} door: no reply to ${name} (${outcome.kind === 'closed' ? `closed ${outcome.code}: ${outcome.reason}` : 'timeout'})`);
  }

  onEvent(listener: (name: string, payload: unknown) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  protected receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.strangeMessages.push(text.slice(0, 200));
      return;
    }
    if (typeof message === 'object' && message !== null && !Array.isArray(message)) {
      const record = message as Record<string, unknown>;
      if (typeof record.id === 'number' && 'reply' in record) {
        this.replies.get(record.id)?.({ kind: 'reply', reply: record.reply });
        return;
      }
      if (typeof record.event === 'string' && 'payload' in record) {
        for (const listener of this.eventListeners) listener(record.event, record.payload);
        return;
      }
      if ('fatal' in record) {
        // The socket door's last word before it hangs up; the close that follows carries it.
        this.fatalReason = JSON.stringify(record.fatal).slice(0, 200);
        return;
      }
    }
    this.strangeMessages.push(text.slice(0, 200));
  }

  protected closed(code: number | null, reason: string): void {
    if (this.closedWith) return;
    this.closedWith = { code, reason: reason || this.fatalReason };
    const outcome: DoorOutcome = { kind: 'closed', ...this.closedWith };
    for (const waiter of [...this.closeWaiters]) waiter(outcome);
    this.closeWaiters.clear();
    this.replies.clear();
  }
}

/** The CLI door: newline-delimited JSON on the state dir's unix socket. */
export class SocketDoorClient extends RawDoorClient {
  readonly door = 'cli' as const;

  private constructor(private readonly socket: net.Socket) {
    super();
    const splitter = new LineSplitter(512 * 1024 * 1024);
    socket.on('data', (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) if (line.kind === 'line') this.receive(line.text);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.closed(null, 'socket closed'));
  }

  static connect(socketPath: string): Promise<SocketDoorClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(new SocketDoorClient(socket));
      });
      socket.once('error', reject);
    });
  }

  sendText(text: string): void {
    if (!this.socket.destroyed) this.socket.write(`${text}\n`);
  }

  sendBytes(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat([bytes, Buffer.from('\n')]));
  }

  /** Asks the socket door to push these events on this connection; resolves once it will. */
  async subscribe(names: string[]): Promise<void> {
    const id = this.takeId();
    const waiting = this.waitReply(id, 30_000);
    this.sendText(JSON.stringify({ id, subscribe: names }));
    const outcome = await waiting;
    if (outcome.kind !== 'reply') throw new Error(`subscribe failed: ${outcome.kind}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The headless door: a WebSocket on 127.0.0.1 with the per-run token, Host and Origin as a browser sends them. */
export class WebSocketDoorClient extends RawDoorClient {
  readonly door = 'headless' as const;

  private constructor(private readonly socket: WebSocket) {
    super();
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        // The door's only binary messages are packed log lines (ipc/logFrame.ts).
        const frame = unpackLogFrame(new Uint8Array(Array.isArray(data) ? Buffer.concat(data) : (data as Buffer)));
        if (!frame) {
          this.strangeMessages.push('(a binary message that is no log frame)');
          return;
        }
        for (const listener of this.eventListeners) listener('logs', { lines: logFrameLines(frame) });
        return;
      }
      this.receive(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8'));
    });
    socket.on('error', () => socket.terminate());
    socket.on('close', (code, reason) => this.closed(code, reason.toString('utf8')));
  }

  static connect(port: number, token: string): Promise<WebSocketDoorClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}${WEBSOCKET_PATH}?token=${encodeURIComponent(token)}`, {
        origin: `http://127.0.0.1:${port}`,
        // The door refuses anything over 1 MiB; this client must be able to send more to test that.
        maxPayload: 512 * 1024 * 1024,
      });
      socket.once('open', () => {
        socket.removeAllListeners('error');
        resolve(new WebSocketDoorClient(socket));
      });
      socket.once('error', reject);
    });
  }

  sendText(text: string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
  }

  sendBytes(bytes: Buffer, binary: boolean): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(bytes, { binary });
  }

  close(): void {
    this.socket.terminate();
  }
}

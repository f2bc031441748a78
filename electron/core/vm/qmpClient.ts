/**
 * A small client for QEMU's machine protocol (QMP) over the VM's unix socket: the greeting,
 * capabilities negotiation, then one command at a time with an id and a timeout. The supervisor
 * uses it to learn whether the guest runs (`query-status`), to ask it to power down
 * (`system_powerdown`) and to end QEMU (`quit`). A socket that closes tells the supervisor that
 * QEMU is gone even for a process this core did not spawn.
 */
import net from 'node:net';
import { CloseSignal } from '../util/closeSignal.js';

export class QmpError extends Error {
  constructor(
    message: string,
    /** QMP's error class (e.g. `CommandNotFound`), or our own (`Timeout`, `Closed`). */
    readonly errorClass: string,
  ) {
    super(message);
    this.name = 'QmpError';
  }
}

export interface QmpStatus {
  status: string;
  running: boolean;
}

export interface QmpEvent {
  event: string;
  data?: unknown;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

type QmpMessage = { QMP?: unknown; return?: unknown; error?: { class?: string; desc?: string }; event?: string; data?: unknown; id?: unknown };

export class QmpClient {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly eventListeners = new Set<(event: QmpEvent) => void>();
  private readonly closeSignal = new CloseSignal();

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.onClosed());
    socket.on('error', () => {
      // 'close' follows and rejects whatever is pending.
    });
  }

  /** Connects, reads the greeting and negotiates capabilities, all within `timeoutMs`. */
  static connect(socketPath: string, timeoutMs = 2_000): Promise<QmpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ path: socketPath });
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new QmpError(`QMP on ${socketPath} did not greet within ${timeoutMs} ms`, 'Timeout')),
        timeoutMs,
      );
      socket.once('error', (error) => fail(new QmpError(`Cannot connect to QMP at ${socketPath}: ${error.message}`, 'Connect')));
      socket.once('close', () => fail(new QmpError(`QMP at ${socketPath} closed during the greeting`, 'Closed')));
      let greeting = '';
      const onGreeting = (chunk: Buffer): void => {
        greeting += chunk.toString('utf8');
        const newline = greeting.indexOf('\n');
        if (newline < 0) return;
        socket.off('data', onGreeting);
        socket.removeAllListeners('close');
        socket.removeAllListeners('error');
        let parsed: QmpMessage;
        try {
          parsed = JSON.parse(greeting.slice(0, newline)) as QmpMessage;
        } catch {
          fail(new QmpError(`QMP at ${socketPath} sent a greeting that is not JSON`, 'Protocol'));
          return;
        }
        if (parsed.QMP === undefined) {
          fail(new QmpError(`QMP at ${socketPath} sent no greeting`, 'Protocol'));
          return;
        }
        const client = new QmpClient(socket);
        client.buffer = greeting.slice(newline + 1);
        const remaining = Math.max(1, timeoutMs);
        client
          .execute('qmp_capabilities', undefined, remaining)
          .then(() => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve(client);
          })
          .catch((error: Error) => fail(error));
      };
      socket.on('data', onGreeting);
    });
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = 2_000): Promise<T> {
    if (this.closeSignal.isClosed) return Promise.reject(new QmpError(`QMP is closed; cannot run ${command}`, 'Closed'));
    const id = `bb-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpError(`QMP did not answer ${command} within ${timeoutMs} ms`, 'Timeout'));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      const message = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  async queryStatus(timeoutMs?: number): Promise<QmpStatus> {
    const reply = await this.execute<{ status?: unknown; running?: unknown }>('query-status', undefined, timeoutMs);
    return { status: String(reply.status ?? 'unknown'), running: reply.running === true };
  }

  /** Presses the virtual power button (ACPI); the guest decides whether to shut down. */
  async powerdown(timeoutMs?: number): Promise<void> {
    await this.execute('system_powerdown', undefined, timeoutMs);
  }

  /** Ends QEMU at once. QEMU may close the socket before its reply arrives; that counts as done. */
  async quit(timeoutMs?: number): Promise<void> {
    try {
      await this.execute('quit', undefined, timeoutMs);
    } catch (error) {
      if (error instanceof QmpError && error.errorClass === 'Closed') return;
      throw error;
    }
  }

  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Called once when the socket closes (QEMU exited, or `close()`). */
  onClose(listener: () => void): () => void {
    return this.closeSignal.onClose(listener);
  }

  get isClosed(): boolean {
    return this.closeSignal.isClosed;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
    for (;;) {
      const newline = this.buffer.indexOf('\n');
      if (newline < 0) return;
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line !== '') this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let message: QmpMessage;
    try {
      message = JSON.parse(line) as QmpMessage;
    } catch {
      return;
    }
    if (typeof message.event === 'string') {
      for (const listener of this.eventListeners) listener({ event: message.event, data: message.data });
      return;
    }
    const id = typeof message.id === 'string' ? message.id : null;
    const pending = id === null ? undefined : this.pending.get(id);
    if (!pending || id === null) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (message.error) {
      pending.reject(new QmpError(message.error.desc ?? 'QMP error', message.error.class ?? 'GenericError'));
    } else {
      pending.resolve(message.return);
    }
  }

  private onClosed(): void {
    if (this.closeSignal.isClosed) return;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new QmpError('QMP socket closed before the answer came', 'Closed'));
      this.pending.delete(id);
    }
    this.closeSignal.close();
  }
}

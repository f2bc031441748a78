/**
 * `BuilderBarApi` over the headless door's WebSocket (wire format: electron/ipc/wire.ts).
 *
 * - Requests made while the socket is connecting wait for it; requests made while it is down
 *   answer at once with an error envelope, and requests in flight when it drops answer with
 *   one too. Nothing throws: callers handle one shape, as with Electron's IPC.
 * - It reconnects by itself with capped backoff, and reports its state so the page can say
 *   "disconnected from Builder Bar — reconnecting" instead of silently showing stale data.
 * - Events and replies are checked against the contract: a core of another version shows up
 *   as a clear error, not as a crash deep inside a component.
 */
import { reconnectDelayMs } from './backoff.js';
import { quickLogsPayload } from './logsPayload.js';
import type { ConnectionInfo, ConnectionSource } from './connection.js';
import {
  apiMethods,
  isEventName,
  ErrorCodeSchema,
  events,
  requests,
  unpackLogFrame,
  type BuilderBarApi,
  type Envelope,
  type ErrorInfo,
  type EventName,
  type ApiEventPayload,
  type RequestInput,
  type RequestName,
  type RequestOutput,
} from './contract.js';

/** The part of the browser's WebSocket this client uses; `ws`'s WebSocket has it too. */
export interface WebSocketLike {
  readonly readyState: number;
  /** Set to 'arraybuffer': packed log frames are read as bytes. */
  binaryType: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

const OPEN = 1;

export interface WebSocketApiOptions {
  url: string;
  /** Defaults to the browser's WebSocket. */
  createSocket?: WebSocketFactory;
  /** Delay before reconnection attempt N (1-based). */
  retryDelayMs?: (attempt: number) => number;
}

export interface WebSocketApi {
  api: BuilderBarApi;
  connection: ConnectionSource;
  /** Closes the socket for good: no more reconnects; pending requests get the error envelope. */
  close(): void;
}

export const disconnectedError: ErrorInfo = {
  code: 'internal',
  message: 'Disconnected from Builder Bar before it answered.',
  hint: 'The window reconnects by itself; try again once the "reconnecting" banner is gone.',
};

interface PendingRequest {
  name: RequestName;
  frame: string;
  sent: boolean;
  resolve(reply: Envelope<unknown>): void;
}

export function createWebSocketApi(options: WebSocketApiOptions): WebSocketApi {
  const createSocket: WebSocketFactory =
    options.createSocket ?? ((url) => new WebSocket(url) as unknown as WebSocketLike);
  const retryDelayMs = options.retryDelayMs ?? ((attempt) => reconnectDelayMs(attempt));

  let info: ConnectionInfo = { state: 'connecting', attempt: 0, nextAttemptAt: null, problem: null };
  const connectionListeners = new Set<(info: ConnectionInfo) => void>();
  const eventListeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const pending = new Map<number, PendingRequest>();
  let nextId = 1;
  let socket: WebSocketLike | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let closedForGood = false;

  const setInfo = (next: Partial<ConnectionInfo>): void => {
    info = { ...info, ...next };
    for (const listener of connectionListeners) listener(info);
  };

  const failAllPending = (): void => {
    const failed = [...pending.values()];
    pending.clear();
    for (const request of failed) request.resolve({ ok: false, error: disconnectedError });
  };

  const scheduleReconnect = (): void => {
    if (closedForGood) return;
    const attempt = info.attempt + 1;
    const delay = retryDelayMs(attempt);
    setInfo({ state: 'reconnecting', attempt, nextAttemptAt: Date.now() + delay });
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect();
    }, delay);
  };

  const handleMessage = (data: unknown): void => {
    // Log lines in a flood come packed, as bytes (electron/ipc/logFrame.ts), not as JSON.
    if (data instanceof ArrayBuffer) {
      const frame = unpackLogFrame(new Uint8Array(data));
      if (!frame) {
        console.warn('Ignored a log frame this window does not understand.');
        return;
      }
      const payload = { lines: frame };
      for (const listener of eventListeners.get('logs') ?? []) listener(payload);
      return;
    }
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const record = message as Record<string, unknown>;
    if (typeof record.id === 'number' && 'reply' in record) {
      const request = pending.get(record.id);
      if (!request) return;
      pending.delete(record.id);
      request.resolve(checkReply(request.name, record.reply));
      return;
    }
    if (isEventName(record.event)) {
      // Log lines arrive 50k a second in a flood: checked by hand first (logsPayload.ts).
      const quick = record.event === 'logs' ? quickLogsPayload(record.payload) : null;
      if (quick) {
        for (const listener of eventListeners.get('logs') ?? []) listener(quick);
        return;
      }
      const parsed = events[record.event].safeParse(record.payload);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        console.warn(
          `Ignored a "${record.event}" event this window does not understand (${issue?.path.join('.')}: ${issue?.message}).`,
        );
        return;
      }
      for (const listener of eventListeners.get(record.event) ?? []) listener(parsed.data);
    }
  };

  const connect = (): void => {
    if (closedForGood) return;
    setInfo({ nextAttemptAt: null, state: info.attempt === 0 ? 'connecting' : 'reconnecting' });
    let current: WebSocketLike;
    try {
      current = createSocket(options.url);
    } catch {
      scheduleReconnect();
      return;
    }
    socket = current;
    current.binaryType = 'arraybuffer';
    current.onopen = () => {
      if (socket !== current) return;
      setInfo({ state: 'open', attempt: 0, nextAttemptAt: null, problem: null });
      for (const request of pending.values()) {
        if (!request.sent) {
          current.send(request.frame);
          request.sent = true;
        }
      }
    };
    current.onmessage = (event) => {
      if (socket === current) handleMessage(event.data);
    };
    current.onerror = () => {
      // A close event always follows; it does the bookkeeping.
    };
    current.onclose = () => {
      if (socket !== current) return;
      socket = null;
      failAllPending();
      scheduleReconnect();
    };
  };

  const call = <N extends RequestName>(name: N, input: RequestInput<N>): Promise<Envelope<RequestOutput<N>>> => {
    if (closedForGood || (socket === null && info.state !== 'connecting')) {
      return Promise.resolve({ ok: false, error: disconnectedError });
    }
    const id = nextId++;
    const frame = JSON.stringify({ id, name, input: input ?? {} });
    return new Promise((resolve) => {
      const request: PendingRequest = {
        name,
        frame,
        sent: false,
        resolve: resolve as (reply: Envelope<unknown>) => void,
      };
      pending.set(id, request);
      if (socket !== null && socket.readyState === OPEN) {
        socket.send(frame);
        request.sent = true;
      }
    });
  };

  // One method per entry of the contract's apiMethods, exactly as the preload builds them, so
  // both doors offer the same surface and a new request needs no edit here.
  const methods = Object.fromEntries(
    (Object.entries(apiMethods) as [string, RequestName][]).map(([method, name]) => [
      method,
      (input?: RequestInput<RequestName>) => call(name, input ?? ({} as RequestInput<RequestName>)),
    ]),
  );
  const api = {
    ...methods,
    on<E extends EventName>(event: E, listener: (payload: ApiEventPayload<E>) => void): () => void {
      let listeners = eventListeners.get(event);
      if (!listeners) {
        listeners = new Set();
        eventListeners.set(event, listeners);
      }
      const untyped = listener as (payload: unknown) => void;
      listeners.add(untyped);
      return () => {
        listeners.delete(untyped);
      };
    },
  } as BuilderBarApi;

  connect();

  return {
    api,
    connection: {
      get: () => info,
      subscribe(listener) {
        connectionListeners.add(listener);
        return () => {
          connectionListeners.delete(listener);
        };
      },
    },
    close() {
      closedForGood = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      const current = socket;
      socket = null;
      current?.close(1000, 'window closed');
      failAllPending();
      setInfo({ state: 'closed', nextAttemptAt: null });
    },
  };
}

/** A reply the contract does not describe becomes an error envelope, never a bad value. */
function checkReply(name: RequestName, reply: unknown): Envelope<unknown> {
  if (typeof reply !== 'object' || reply === null || !('ok' in reply)) {
    return unexpectedReply(name, 'it is not an envelope');
  }
  const envelope = reply as { ok: unknown; value?: unknown; error?: unknown };
  if (envelope.ok === true) {
    const parsed = requests[name].output.safeParse(envelope.value);
    return parsed.success ? { ok: true, value: parsed.data } : unexpectedReply(name, parsed.error.message);
  }
  const error = envelope.error as Partial<ErrorInfo> | undefined;
  if (error && typeof error.message === 'string') {
    const code = ErrorCodeSchema.safeParse(error.code);
    return {
      ok: false,
      error: { code: code.success ? code.data : 'internal', message: error.message, hint: error.hint ?? null },
    };
  }
  return unexpectedReply(name, 'the error has no message');
}

function unexpectedReply(name: RequestName, why: string): Envelope<never> {
  return {
    ok: false,
    error: {
      code: 'internal',
      message: `Builder Bar answered ${name} with something this window does not understand (${why}).`,
      hint: 'The window and the core may come from different versions: reload the window.',
    },
  };
}

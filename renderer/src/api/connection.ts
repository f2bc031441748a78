/**
 * Whether the renderer can reach the core right now. Electron's IPC is always connected; the
 * WebSocket client goes through these states and the banner shows the ones that are not `open`.
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ConnectionInfo {
  state: ConnectionState;
  /** Failed attempts since the socket was last open. */
  attempt: number;
  /** When the next attempt starts (ms since epoch), while waiting to reconnect. */
  nextAttemptAt: number | null;
  /** Why the page cannot connect at all, when it knows (e.g. no token in the address). */
  problem: string | null;
}

export interface ConnectionSource {
  get(): ConnectionInfo;
  /** Called on every change; returns the unsubscribe function. */
  subscribe(listener: (info: ConnectionInfo) => void): () => void;
}

export const alwaysConnected: ConnectionSource = {
  get: () => ({ state: 'open', attempt: 0, nextAttemptAt: null, problem: null }),
  subscribe: () => () => undefined,
};

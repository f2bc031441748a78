/**
 * Which door this page sits behind: Electron's preload (`window.builderBar`, its log frames
 * unpacked by electronApi.ts) when present,
 * otherwise the headless door's WebSocket on the host that served the page, authenticated with
 * the token the address brought (`#token=...`, which never reaches a server log; pageToken.ts
 * drops it from the address bar and keeps it for reloads).
 */
import { alwaysConnected, type ConnectionSource } from './connection.js';
import type { BuilderBarApi } from './contract.js';
import { unpackingLogFrames } from './electronApi.js';
import { takePageToken } from './pageToken.js';
import { createWebSocketApi } from './wsClient.js';

export { pageLink, tokenFromHash } from './pageToken.js';

export interface ApiHandle {
  api: BuilderBarApi;
  connection: ConnectionSource;
  door: 'electron' | 'headless';
  /** The headless door's token, so links to other pages (Logs) can carry it. */
  token: string | null;
}

export function webSocketUrl(location: Pick<Location, 'protocol' | 'host'>, token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`;
}

export function connectToBuilderBar(win: Window = window): ApiHandle {
  if (win.builderBar) {
    return { api: unpackingLogFrames(win.builderBar), connection: alwaysConnected, door: 'electron', token: null };
  }
  const token = takePageToken(win);
  // The address pasted again into this tab is only a fragment change, not a new page: drop the
  // token from the bar again, and start over when it is another run's token.
  win.addEventListener('hashchange', () => {
    const next = takePageToken(win);
    if (next !== null && next !== token) win.location.reload();
  });
  const client = createWebSocketApi({ url: webSocketUrl(win.location, token ?? '') });
  if (token !== null) {
    return { api: client.api, connection: client.connection, door: 'headless', token };
  }
  const problem =
    'This address has no token. Open the address `builder-bar serve` printed (it ends in #token=…).';
  const connection: ConnectionSource = {
    get: () => ({ ...client.connection.get(), problem }),
    subscribe: (listener) => client.connection.subscribe((info) => listener({ ...info, problem })),
  };
  return { api: client.api, connection, door: 'headless', token: null };
}

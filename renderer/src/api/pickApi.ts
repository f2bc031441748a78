/**
 * Which door this page sits behind: Electron's preload (`window.builderBar`) when present,
 * otherwise the headless door's WebSocket on the host that served the page, authenticated with
 * the token from the address's fragment (`#token=...`, which never reaches a server log).
 */
import { alwaysConnected, type ConnectionSource } from './connection.js';
import type { BuilderBarApi } from './contract.js';
import { createWebSocketApi } from './wsClient.js';

export interface ApiHandle {
  api: BuilderBarApi;
  connection: ConnectionSource;
  door: 'electron' | 'headless';
  /** The headless door's token, so links to other pages (Logs) can carry it. */
  token: string | null;
}

export function tokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get('token');
  return token && token.trim() !== '' ? token : null;
}

export function webSocketUrl(location: Pick<Location, 'protocol' | 'host'>, token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`;
}

/** A page-relative link to another page of the renderer that keeps the token. */
export function pageLink(page: string, token: string | null): string {
  return token ? `${page}#token=${encodeURIComponent(token)}` : page;
}

export function connectToBuilderBar(win: Window = window): ApiHandle {
  if (win.builderBar) {
    return { api: win.builderBar, connection: alwaysConnected, door: 'electron', token: null };
  }
  const token = tokenFromHash(win.location.hash);
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

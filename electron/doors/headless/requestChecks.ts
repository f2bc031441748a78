/**
 * Who may talk to the headless door. The server binds 127.0.0.1, but that alone does not keep
 * out a web page in the user's browser: with DNS rebinding a page from evil.example can make
 * its own name resolve to 127.0.0.1, and any page can open a WebSocket to any origin. So:
 *   - Host must name the loopback server itself (127.0.0.1:PORT or localhost:PORT), which a
 *     rebound name never does;
 *   - a WebSocket's Origin must be this same origin, which a foreign page cannot forge;
 *   - the upgrade must carry the per-run token.
 * These are pure functions of the request's headers so each rule is tested on its own.
 */
import { tokensMatch } from './accessToken.js';

export type RefusalStatus = 401 | 403 | 404;
export type CheckResult = { ok: true } | { ok: false; status: RefusalStatus; reason: string };

export interface DoorIdentity {
  port: number;
  token: string;
}

export interface UpgradeRequestHeaders {
  url: string | undefined;
  host: string | undefined;
  origin: string | undefined;
}

export const WEBSOCKET_PATH = '/ws';

/** The Host values this door answers to; the page's CSP lets it connect back to these alone. */
export function doorHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function checkHost(host: string | undefined, port: number): CheckResult {
  if (host !== undefined && doorHosts(port).includes(host.toLowerCase())) return { ok: true };
  return { ok: false, status: 403, reason: `Host ${JSON.stringify(host ?? null)} is not this server.` };
}

export function checkUpgrade(request: UpgradeRequestHeaders, door: DoorIdentity): CheckResult {
  // Parse against a fixed base: the Host header is checked separately and must not steer parsing.
  let url: URL;
  try {
    url = new URL(request.url ?? '', 'http://127.0.0.1');
  } catch {
    return { ok: false, status: 404, reason: 'Malformed request URL.' };
  }
  if (url.pathname !== WEBSOCKET_PATH) return { ok: false, status: 404, reason: `No WebSocket at ${url.pathname}.` };
  const host = checkHost(request.host, door.port);
  if (!host.ok) return host;
  const expectedOrigin = `http://${(request.host ?? '').toLowerCase()}`;
  if (request.origin?.toLowerCase() !== expectedOrigin) {
    return { ok: false, status: 403, reason: `Origin ${JSON.stringify(request.origin ?? null)} is not ${expectedOrigin}.` };
  }
  if (!tokensMatch(door.token, url.searchParams.get('token'))) {
    return { ok: false, status: 401, reason: 'Missing or wrong token.' };
  }
  return { ok: true };
}

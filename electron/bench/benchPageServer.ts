/**
 * Serves the log-view benchmark's xterm.js page over loopback HTTP with the headless door's own
 * response headers, so both pages of the benchmark run under the same conditions: in
 * particular cross-origin isolated (COOP + COEP), where Chromium gives requestAnimationFrame
 * times to 5 µs. A file:// page gets them to 100 µs, and an on-time 60 Hz frame (16.67 ms)
 * then reads 16.6, 16.7 or 16.8 ms, which decided both sides' p95.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { securityHeaders } from '../doors/headless/headlessDoor.js';
import { respondWithText, serveStaticFileOrFail } from '../doors/headless/staticFiles.js';

export interface BenchPageServer {
  /** The address of `relativePath` (from the served root) on this server. */
  urlOf(relativePath: string): string;
  close(): Promise<void>;
}

export async function serveBenchPages(root: string): Promise<BenchPageServer> {
  const server = http.createServer((request, response) => {
    for (const [name, value] of Object.entries(securityHeaders)) response.setHeader(name, value);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      respondWithText(response, 405, 'Only GET and HEAD are served here.', { Allow: 'GET, HEAD' });
      return;
    }
    serveStaticFileOrFail(root, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    urlOf: (relativePath) => new URL(relativePath.split('/').map(encodeURIComponent).join('/'), `http://127.0.0.1:${port}/`).toString(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

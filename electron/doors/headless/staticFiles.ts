/**
 * Serving the built renderer (`out/renderer/`) to a browser: files only, never a directory
 * listing, never anything outside the root (`..`, encoded `..`, symlinks pointing out), no
 * dotfiles, and a content type from a short fixed table so the browser never has to guess.
 */
import { createReadStream, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(file: string): string {
  return contentTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticLookup =
  | { kind: 'file'; file: string; size: number; contentType: string }
  | { kind: 'not-found' }
  | { kind: 'bad-request' };

/** Maps a request URL to a file under `root`, or says why there is none. */
export async function lookUpStaticFile(root: string, requestUrl: string | undefined): Promise<StaticLookup> {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(requestUrl ?? '/', 'http://127.0.0.1').pathname);
  } catch {
    return { kind: 'bad-request' };
  }
  if (pathname.includes('\0')) return { kind: 'bad-request' };
  const relative = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
  // Dotfiles (and `.`/`..` segments that survived decoding) are never part of the renderer.
  if (relative.split(/[\\/]/).some((segment) => segment.startsWith('.'))) return { kind: 'not-found' };

  let realRoot: string;
  let realFile: string;
  try {
    realRoot = await fs.realpath(root);
    realFile = await fs.realpath(path.join(realRoot, relative));
  } catch {
    return { kind: 'not-found' };
  }
  if (!realFile.startsWith(realRoot + path.sep)) return { kind: 'not-found' };
  const stat = await fs.stat(realFile).catch(() => null);
  if (!stat?.isFile()) return { kind: 'not-found' };
  return { kind: 'file', file: realFile, size: stat.size, contentType: contentTypeFor(realFile) };
}

/** Answers a GET or HEAD for a static file; headers common to every response are set by the caller. */
export async function serveStaticFile(root: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const found = await lookUpStaticFile(root, request.url);
  if (found.kind === 'bad-request') {
    respondWithText(response, 400, 'Bad request.');
    return;
  }
  if (found.kind === 'not-found') {
    respondWithText(response, 404, 'Not found.');
    return;
  }
  response.writeHead(200, {
    'Content-Type': found.contentType,
    'Content-Length': String(found.size),
    // The renderer is rebuilt in place during development; always revalidate.
    'Cache-Control': 'no-cache',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  const stream = createReadStream(found.file);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}

/** `serveStaticFile`, with a read that fails answered 500 (or the connection cut once headers went). */
export function serveStaticFileOrFail(root: string, request: IncomingMessage, response: ServerResponse): void {
  serveStaticFile(root, request, response).catch(() => {
    if (!response.headersSent) respondWithText(response, 500, 'Could not read the file.');
    else response.destroy();
  });
}

export function respondWithText(response: ServerResponse, status: number, text: string, extraHeaders: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extraHeaders });
  response.end(`${text}\n`);
}

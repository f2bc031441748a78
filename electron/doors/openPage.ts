/**
 * `serve --open` (and `start-app` without Electron) open the dashboard through a small file
 * instead of its URL: an opener's arguments (`open URL`, `xdg-open URL`, then the browser's own
 * command line) are readable by every local user in the process list, and the URL carries the
 * door's token. The file sits in the state dir (0700), is 0600 from the moment it exists, is
 * fresh for each run (a random name, so a browser never shows an older run's page from cache)
 * and is removed when serve stops; it sends the browser on to the URL with `location.replace`,
 * so the file's own entry leaves no trace in the tab's history. The page itself then drops the
 * token from its address bar (renderer/src/api/pageToken.ts).
 *
 * A file of an earlier run that was killed before it could remove its own is removed here:
 * only the core holding the state dir's lock opens one, so any other is stale.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/util/atomicWrite.js';

const PAGE_NAME = /^open-[0-9a-f]{16}\.html$/;

export interface OpenPage {
  /** The file to hand to the opener: its path names no secret. */
  readonly path: string;
  /** Removes the file; safe to call twice. */
  remove(): Promise<void>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The redirect page; `url` is the door's address with its token. */
export function openPageHtml(url: string): string {
  const attribute = escapeHtml(url);
  // `<` escaped too, so no value can end the script element early.
  const script = JSON.stringify(url).replace(/</g, '\\u003c');
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Builder Bar</title>',
    `<script>location.replace(${script});</script>`,
    `<noscript><meta http-equiv="refresh" content="0; url=${attribute}"></noscript>`,
    `</head><body><p>Opening <a href="${attribute}">Builder Bar</a>…</p></body></html>`,
    '',
  ].join('\n');
}

export async function writeOpenPage(stateDir: string, url: string): Promise<OpenPage> {
  await removeStalePages(stateDir);
  const file = path.join(stateDir, `open-${randomBytes(8).toString('hex')}.html`);
  // Created 0600 under a temporary name and renamed: never readable by others, never half-written.
  await writeFileAtomic(file, openPageHtml(url), { mode: 0o600, durable: false });
  return {
    path: file,
    remove: () => fs.rm(file, { force: true }),
  };
}

async function removeStalePages(stateDir: string): Promise<void> {
  const names = await fs.readdir(stateDir).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => PAGE_NAME.test(name)).map((name) => fs.rm(path.join(stateDir, name), { force: true })));
}

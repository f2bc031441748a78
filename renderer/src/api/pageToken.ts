/**
 * The headless door's token, as a page gets it: `#token=…` in the address (the line `serve`
 * prints, the page `serve --open` opens, the dashboard's link to the Logs window). It is read
 * once and dropped from the address bar (`history.replaceState`), so it stays out of the tab's
 * history, a bookmark or a copied address; for a reload the tab keeps it in sessionStorage,
 * which lives only as long as the tab and is never shared with another tab or origin.
 */

const STORAGE_KEY = 'builder-bar.token';

export function tokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get('token');
  return token && token.trim() !== '' ? token : null;
}

/** The fragment without its token ('' when nothing else is left). */
export function hashWithoutToken(hash: string): string {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  params.delete('token');
  const rest = params.toString();
  return rest === '' ? '' : `#${rest}`;
}

/** A page-relative link to another page of the renderer that carries the token (a new tab has its own storage). */
export function pageLink(page: string, token: string | null): string {
  return token ? `${page}#token=${encodeURIComponent(token)}` : page;
}

type PageWindow = Pick<Window, 'location' | 'history' | 'sessionStorage'>;

/** Storage can be switched off (or throw in a sandboxed frame); the token then lasts until a reload. */
function storage(win: PageWindow): Storage | null {
  try {
    return win.sessionStorage;
  } catch {
    return null;
  }
}

/** The token from the address (then removed from it) or from this tab's earlier load; null when neither has one. */
export function takePageToken(win: PageWindow): string | null {
  const fromHash = tokenFromHash(win.location.hash);
  if (fromHash === null) {
    try {
      return storage(win)?.getItem(STORAGE_KEY) ?? null;
    } catch {
      return null;
    }
  }
  try {
    storage(win)?.setItem(STORAGE_KEY, fromHash);
  } catch {
    // Full or refused: a reload will ask for the address again, nothing worse.
  }
  const { pathname, search, hash } = win.location;
  win.history.replaceState(win.history.state, '', `${pathname}${search}${hashWithoutToken(hash)}`);
  return fromHash;
}

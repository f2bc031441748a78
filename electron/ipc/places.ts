/**
 * The Dashboard window's places (Builder, Builds, Nix, Baselines, Builders, Settings) and how an
 * address names one. Shared by the page, which shows the place its address names, and by the
 * Electron shell, whose tray opens the window at a place.
 *
 * A place lives in the fragment, as `#place=builds`, not in the path or the query:
 * - the headless door's token also travels in the fragment (`#token=…`, pageToken.ts), and the
 *   token code removes only its own parameter and keeps the rest, so the two share it
 *   (`#place=nix&token=…` works, and the token leaves the address while the place stays);
 * - a fragment never reaches a server, so `serve` keeps serving one page for every place;
 * - moving between places changes only the fragment: the same document, no reload, no lost
 *   drafts, a `hashchange` event; a browser's Back goes to the previous place. The shell moves
 *   an open window the same way, by loading the same file with another fragment, which Chromium
 *   treats as a same-document navigation (no message through the preload is needed);
 * - no fragment at all is the Builder place, so an address without one (the one `serve` prints
 *   once its token is gone) stays as it is.
 */

export const PLACES = ['builder', 'builds', 'nix', 'baselines', 'builders', 'settings'] as const;
export type Place = (typeof PLACES)[number];

/** Where a window opens when its address names no place, or one this version does not know. */
export const DEFAULT_PLACE: Place = 'builder';

/** The word a user sees for each place: in the sidebar, in the window's title, in the tray. */
export const PLACE_TITLES: Readonly<Record<Place, string>> = {
  builder: 'Builder',
  builds: 'Builds',
  nix: 'Nix',
  baselines: 'Baselines',
  builders: 'Builders',
  settings: 'Settings',
};

const PARAM = 'place';

export function isPlace(value: unknown): value is Place {
  return typeof value === 'string' && (PLACES as readonly string[]).includes(value);
}

function fragmentParams(hash: string): URLSearchParams {
  return new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
}

/** The place a fragment names; anything else (nothing, an unknown or repeated-but-odd name) is the Builder. */
export function placeFromHash(hash: string): Place {
  const named = fragmentParams(hash).get(PARAM);
  return isPlace(named) ? named : DEFAULT_PLACE;
}

/** The place a whole address names (the shell reads its window's URL); the Builder for anything unparsable. */
export function placeOfUrl(url: string): Place {
  try {
    return placeFromHash(new URL(url).hash);
  } catch {
    return DEFAULT_PLACE;
  }
}

/** The fragment (with `#`) that names `place`, keeping every other parameter of `hash` (the token's). */
export function hashForPlace(place: Place, hash = ''): string {
  const params = fragmentParams(hash);
  params.set(PARAM, place);
  return `#${params.toString()}`;
}

/**
 * The fragment to load into a window showing `currentUrl` so that it shows `place`, or null when
 * it already does: loading the very address it has would make Chromium reload the page.
 */
export function fragmentToShow(currentUrl: string, place: Place): string | null {
  if (placeOfUrl(currentUrl) === place) return null;
  let hash = '';
  try {
    hash = new URL(currentUrl).hash;
  } catch {
    // No address yet (still loading its first page): the place alone.
  }
  return hashForPlace(place, hash);
}

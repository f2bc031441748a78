/**
 * The headless door's per-run secret. Anyone who can reach 127.0.0.1 (every local process,
 * every web page's JavaScript via the browser) could otherwise drive the builder, so the
 * WebSocket upgrade must carry this token. It is printed once, in the URL's fragment, which
 * browsers never send to servers or write to logs. It never goes on a command line (every local
 * user can read those): `serve --open` hands the browser a 0600 file that redirects to the URL
 * (openPage.ts), and the page drops the fragment from its address once read
 * (renderer/src/api/pageToken.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: 43 URL-safe characters. */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Constant-time comparison. Both sides are hashed first so the comparison takes the same
 * time whatever the length of the guess (timingSafeEqual itself needs equal lengths).
 */
export function tokensMatch(expected: string, presented: string | null | undefined): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(a, b);
}

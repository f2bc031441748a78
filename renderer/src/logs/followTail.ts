/**
 * Whether the Logs window keeps following the tail when Virtuoso reports that the view reached
 * or left the bottom. Virtuoso also moves the view on its own: settling onto the tail right
 * after the window opens, catching up with a flood of lines, re-measuring rows. Only the
 * user's own scrolling may change following, and only in the direction they scrolled: leaving
 * the bottom by scrolling up stops following; reaching it by scrolling down resumes it. An
 * upward gesture never resumes following, even if Virtuoso settles onto the tail right after it
 * (on a slow machine that used to hide "Jump to latest" a moment after the user scrolled up).
 */

/** The user's last scrolling gesture over the list. */
export interface ScrollGesture {
  /** `Date.now()` when it happened. */
  at: number;
  /** Up (wheel up, ArrowUp, PageUp, Home), down, or unknown (a scrollbar drag). */
  direction: 'up' | 'down' | 'unknown';
}

/** How long after a gesture a bottom change still counts as the user's doing. */
export const GESTURE_WINDOW_MS = 1_000;

export const noGesture: ScrollGesture = { at: 0, direction: 'unknown' };

/** The new following state, or the current one when the change was not the user's doing. */
export function followAfterBottomChange(following: boolean, atBottom: boolean, gesture: ScrollGesture, now: number): boolean {
  if (now - gesture.at >= GESTURE_WINDOW_MS) return following;
  if (atBottom && gesture.direction === 'up') return following;
  if (!atBottom && gesture.direction === 'down') return following;
  return atBottom;
}

const upKeys = new Set(['ArrowUp', 'PageUp', 'Home']);
// End is not here: the Logs window handles it first (keyJumpsToLatest).
const downKeys = new Set(['ArrowDown', 'PageDown', ' ']);

/**
 * End goes to the newest line and follows it, as "Jump to latest" does, at once: left to the
 * browser it is an animated scroll of up to millions of pixels, and on a loaded machine the
 * view reached the bottom more than GESTURE_WINDOW_MS after the press, so following stayed off.
 */
export function keyJumpsToLatest(key: string): boolean {
  return key === 'End';
}

/** The gesture a key press over the list makes, or null for a key that does not scroll. */
export function keyGesture(key: string, now: number): ScrollGesture | null {
  if (upKeys.has(key)) return { at: now, direction: 'up' };
  if (downKeys.has(key)) return { at: now, direction: 'down' };
  return null;
}

/** The gesture a wheel turn makes (deltaY < 0 scrolls up). */
export function wheelGesture(deltaY: number, now: number): ScrollGesture {
  return { at: now, direction: deltaY < 0 ? 'up' : deltaY > 0 ? 'down' : 'unknown' };
}

/**
 * Work the page starts and nobody waits for: a click's request, the refresh after a reconnect,
 * a poll. The door's calls answer with an `{ ok, value } | { ok: false, error }` envelope and
 * do not throw, but what runs after the answer can (a reply handler, a reply of an unexpected
 * shape, an IPC or socket call that fails underneath), and a rejected promise nobody waits for
 * is lost in a browser: one console line at best, and on the page nothing happens.
 *
 * `inBackground` is the one way the renderer lets a promise go (the lint rule
 * `no-floating-promises` refuses the others): a failure goes to the console with what was being
 * done, and to the place on the page where the component already shows its errors (an
 * ErrorNote, a refusal), as an `ErrorInfo` like any error from the core. Busy flags stay with
 * the work itself: it clears them in a `finally`, next to where it set them.
 */
import type { ErrorInfo } from '../api/contract.js';

/** Where a component shows an error: usually its `setError`. */
export type FailureReport = (error: ErrorInfo) => void;

/** The words of whatever was thrown or rejected with, never a throw of its own. */
export function failureDetail(caught: unknown): string {
  if (caught instanceof Error) return caught.message !== '' ? caught.message : caught.name;
  if (typeof caught === 'string' && caught !== '') return caught;
  try {
    const text = String(caught);
    if (text !== '' && text !== '[object Object]') return text;
  } catch {
    // An object without a prototype (or a hostile toString): nothing readable to say.
  }
  return 'an unexpected failure';
}

/** A failure on the page's side, worded like the core's errors: what went wrong, then what to do. */
export function failureInfo(what: string, caught: unknown): ErrorInfo {
  return {
    code: 'internal',
    message: `${what}: ${failureDetail(caught)}`,
    hint: 'Check the connection banner, then try again. If it fails again, the developer console has the details.',
  };
}

/**
 * Runs `work` without waiting for it. `what` says what failed, as the user reads it ("Could not
 * save the settings"). A failure, a synchronous throw included, is logged to the console and,
 * when `report` is given, shown there; nothing escapes as an unhandled rejection.
 */
export function inBackground(what: string, work: () => Promise<unknown>, report?: FailureReport): void {
  const fail = (caught: unknown): void => {
    console.error(`Builder Bar: ${what}.`, caught);
    if (!report) return;
    try {
      report(failureInfo(what, caught));
    } catch (again) {
      // The place that shows errors failed too: the console is all that is left.
      console.error(`Builder Bar: could not show that failure (${what}).`, again);
    }
  };
  let running: Promise<unknown>;
  try {
    running = work();
  } catch (caught) {
    fail(caught);
    return;
  }
  running.then(undefined, fail);
}

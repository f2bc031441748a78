/**
 * What the app's error box says when the core cannot start. A Finder user sees only this box:
 * a stack trace tells them nothing, while the core's own errors already say what went wrong
 * and what to do (the state dir's owner and the chown that mends it, a core that answers or
 * does not and the lock to delete), so those are shown as written.
 */
import { BuilderBarError } from '../core/errors.js';
import { AlreadyRunningError } from '../doors/ownedCore.js';

export interface ErrorBox {
  title: string;
  content: string;
}

export function startFailureBox(error: unknown): ErrorBox {
  if (error instanceof AlreadyRunningError) return { title: 'Builder Bar is already running', content: error.message };
  if (error instanceof BuilderBarError) return { title: 'Builder Bar could not start', content: error.hint ? `${error.message}\n\n${error.hint}` : error.message };
  // Not one of ours: a bug, so the stack is what a report needs.
  return { title: 'Builder Bar could not start', content: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}

/**
 * One way for a renderer action to ask the core something: the busy flag while it runs, the
 * error the core answered (or what broke on the page's side, through `inBackground`), and the
 * reply. Every button that sends a request uses it, so "busy clears even when the reply handler
 * throws" and "a new attempt clears the old error" hold everywhere, not in each component's copy.
 *
 * `runRequest` is the logic, without React (tested on its own); `useRequest` holds its state.
 * A key names which of several similar actions runs (which disk is being imported, plan or apply),
 * so a component can mark the one button busy and disable the rest.
 */
import { useCallback, useState } from 'react';
import type { Envelope, ErrorInfo } from '../api/contract.js';
import { inBackground } from './background.js';

export interface RequestSetters<T> {
  setBusy: (key: string | null) => void;
  setError: (error: ErrorInfo | null) => void;
  setReply: (reply: T) => void;
}

/**
 * Sends `call` once: busy under `key` until it settles, the error cleared first, the reply kept
 * and handed to `onReply` (which may send more). Never rejects: failures land in `setError`.
 */
export function runRequest<T>(
  what: string,
  call: () => Promise<Envelope<T>>,
  setters: RequestSetters<T>,
  options: { key?: string; onReply?: (reply: T) => void | Promise<void> } = {},
): Promise<void> {
  return new Promise<void>((resolve) => {
    inBackground(what, async () => {
      try {
        setters.setError(null);
        setters.setBusy(options.key ?? 'busy');
        const answer = await call();
        if (!answer.ok) {
          setters.setError(answer.error);
          return;
        }
        setters.setReply(answer.value);
        await options.onReply?.(answer.value);
      } finally {
        setters.setBusy(null);
        resolve();
      }
    }, setters.setError);
  });
}

export interface Request<T> {
  /** True while a request runs. */
  busy: boolean;
  /** The key of the request that runs, or null. */
  busyKey: string | null;
  error: ErrorInfo | null;
  /** The last successful reply, or null. */
  reply: T | null;
  run: (call: () => Promise<Envelope<T>>, options?: { key?: string; onReply?: (reply: T) => void | Promise<void> }) => void;
  /**
   * For a component whose actions answer with different kinds of replies (plan, apply, remove):
   * the same busy and error, the reply handed to `onReply` only. `what` overrides the hook's
   * words for this action's failures.
   */
  send: <R>(call: () => Promise<Envelope<R>>, options: { key: string; what?: string; onReply?: (reply: R) => void | Promise<void> }) => void;
  /** For errors found on the page (a form that does not validate), shown in the same place. */
  setError: (error: ErrorInfo | null) => void;
}

/** `what` is what failed, as the user reads it: "Could not import the disk". */
export function useRequest<T>(what: string): Request<T> {
  const [busyKey, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [reply, setReply] = useState<T | null>(null);
  const run = useCallback<Request<T>['run']>((call, options) => {
    inBackground(what, () => runRequest(what, call, { setBusy, setError, setReply }, options), setError);
  }, [what]);
  const send = useCallback<Request<T>['send']>((call, options) => {
    const words = options.what ?? what;
    const ignoreReply = (): void => undefined;
    inBackground(words, () => runRequest(words, call, { setBusy, setError, setReply: ignoreReply }, options), setError);
  }, [what]);
  return { busy: busyKey !== null, busyKey, error, reply, run, send, setError };
}

/**
 * A door's listening server keeps serving through an error of its own. After listen(), Node
 * emits 'error' on a net or http server when accepting a connection fails in a way libuv does
 * not absorb (EMFILE or ENFILE once its spare descriptor is spent, ENOMEM, ENOBUFS). With no
 * listener that event throws, and `serve` or the app, the builder's owner, would end over one
 * connection it could not take. The error goes to the app log (reportUnexpected: the running
 * core's log, stderr when none runs) and the server keeps listening; the client whose
 * connection failed sees it fail and may try again.
 *
 * libuv tries the next accept at once after such an error, so a lasting one (the process out of
 * file descriptors) repeats in a tight loop: the first is logged, then at most one line a minute
 * saying how many more came, so the log never floods.
 */
import type net from 'node:net';
import { reportUnexpected } from '../core/util/unexpectedErrors.js';

const REPEAT_REPORT_INTERVAL_MS = 60_000;

export interface KeepListeningOptions {
  /** Where the error goes; the app log by default. */
  report?: (what: string, error: unknown) => void;
  /** For tests: the clock. */
  now?: () => number;
}

/** Adds the server's lasting 'error' listener; `what` names the door ("the CLI socket /…/core.sock"). */
export function keepListeningThroughErrors(server: net.Server, what: string, options: KeepListeningOptions = {}): void {
  const report = options.report ?? reportUnexpected;
  const now = options.now ?? Date.now;
  let lastReportAt = -Infinity;
  let unreported = 0;
  server.on('error', (error: Error) => {
    const at = now();
    if (at - lastReportAt < REPEAT_REPORT_INTERVAL_MS) {
      unreported += 1;
      return;
    }
    const since = unreported > 0 ? ` (${unreported} more like it since the last report)` : '';
    lastReportAt = at;
    unreported = 0;
    report(`Accepting a connection on ${what}`, new Error(`${error.message}${since}; it keeps listening for the next one`));
  });
}

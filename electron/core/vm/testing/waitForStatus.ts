/** For the tests that boot a real guest: the first status (now or later) that the predicate accepts. */
import type { Status } from '../../../ipc/contract.js';

export interface StatusSource {
  status(): Status;
  onStatus(listener: (status: Status) => void): () => void;
}

/** Rejects after `timeoutMs` with the last status and whatever `context` adds (a log tail). */
export function waitForStatus(source: StatusSource, predicate: (status: Status) => boolean, timeoutMs: number, context: () => string = () => ''): Promise<Status> {
  return new Promise((resolve, reject) => {
    if (predicate(source.status())) {
      resolve(source.status());
      return;
    }
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out waiting; last status: ${JSON.stringify(source.status())}\n${context()}`.trimEnd()));
    }, timeoutMs);
    const unsubscribe = source.onStatus((status) => {
      if (!predicate(status)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(status);
    });
  });
}

/**
 * Talking to a core that may never answer. A core that takes the connection but serves nobody
 * (stopped with Ctrl-Z, stuck, or not a core at all) would leave a command waiting for ever,
 * deaf to Ctrl-C and SIGTERM: a script's `timeout 10 builder-bar status` sends one SIGTERM and
 * no second. Commands that wait on purpose (`start --wait`, `logs --follow`, `build`) end
 * themselves at once when asked; one still waiting a moment after the signal is waiting on
 * such a core, and is abandoned: the connection is closed and the user told what to do.
 */
import type { StatePaths } from '../../core/paths.js';
import type { CliIo } from './cliIo.js';
import { unresponsiveCoreHint, type CoreClient } from './socketClient.js';

/** How long a command may still take after Ctrl-C or SIGTERM. */
const ABORT_GRACE_MS = 1_000;

export const ABANDONED = Symbol('abandoned');

/** Runs `talk`; ABANDONED (with the client closed and the reason printed) if the core kept silent after the signal. */
export async function untilAbandoned<T>(io: CliIo, paths: StatePaths, client: CoreClient, talk: () => Promise<T>): Promise<T | typeof ABANDONED> {
  const running = talk();
  // Once abandoned, its requests fail with the closed connection: nobody waits for that.
  running.catch(() => undefined);
  const done = new AbortController();
  try {
    const outcome = await Promise.race([running, silentAfterAbort(io.signal, done.signal)]);
    if (outcome !== ABANDONED) return outcome;
    client.close();
    io.err(`Stopped waiting: the Builder Bar core for ${paths.stateDir} did not answer.`);
    io.err(unresponsiveCoreHint(paths.stateDir));
    return ABANDONED;
  } finally {
    done.abort();
  }
}

/** Resolves ABANDONED ABORT_GRACE_MS after `signal` fires, unless `done` fires first. */
function silentAfterAbort(signal: AbortSignal, done: AbortSignal): Promise<typeof ABANDONED> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const startGrace = (): void => {
      if (!done.aborted) timer = setTimeout(() => resolve(ABANDONED), ABORT_GRACE_MS);
    };
    done.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', startGrace);
      },
      { once: true },
    );
    if (signal.aborted) startGrace();
    else signal.addEventListener('abort', startGrace, { once: true });
  });
}

/**
 * Where this process's unexpected errors go: a promise rejected with nobody waiting for it
 * (`unhandledRejection`). Plain Node ends the process on one, which for `builder-bar serve`
 * means the builder's owner disappears because, say, a log write failed on a read-only disk.
 * The process entry points (the CLI's `main`, the Electron shell) install `guardProcess()` once;
 * a core registers its app log as a sink while it runs, so the error is also in the file a user
 * sends with a bug report. The error is reported and the process keeps running: the promise's
 * own work has failed, the rest of the app has not.
 */
export type UnexpectedErrorSink = (text: string) => void;

const sinks = new Set<UnexpectedErrorSink>();
let installed = false;

/** Routes unexpected errors to `sink` too, until the returned function is called. */
export function reportUnexpectedErrorsTo(sink: UnexpectedErrorSink): () => void {
  sinks.add(sink);
  return () => sinks.delete(sink);
}

/**
 * For a door's fire-and-forget work (writing a reply) that failed: the same places an unhandled
 * rejection goes (the running core's app log; stderr when no core listens), with what it was.
 */
export function reportUnexpected(what: string, error: unknown): void {
  const text = `${what} failed: ${error instanceof Error ? error.message : safeString(error)}`;
  if (sinks.size === 0) {
    console.error(`builder-bar: ${text}`);
    return;
  }
  for (const sink of sinks) {
    try {
      sink(text);
    } catch {
      // A broken sink must not turn one error into two.
    }
  }
}

/** The one line an unexpected error becomes: what happened, the error, and where it came from. */
export function describeUnexpected(reason: unknown): string {
  const detail = reason instanceof Error ? (reason.stack ?? `${reason.name}: ${reason.message}`) : safeString(reason);
  return `Unexpected error (a promise rejected with nothing waiting for it); Builder Bar keeps running: ${detail}`;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Installs the process-level handler once. Every error goes to `terminal` (stderr for the CLI)
 * and to each registered sink; a sink that throws never takes the handler down with it.
 */
export function guardProcess(terminal: UnexpectedErrorSink): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    const text = describeUnexpected(reason);
    for (const sink of [...sinks, terminal]) {
      try {
        sink(text);
      } catch {
        // A broken sink (a closed log, a closed stderr) must not turn one error into two.
      }
    }
  });
}

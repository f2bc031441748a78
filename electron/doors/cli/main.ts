/**
 * The real process around `runCli`: stdout/stderr, Ctrl-C and SIGTERM as an abort signal,
 * and the exit code. A second Ctrl-C while shutting down exits at once. A reader that stops
 * reading (`builder-bar status | head -1`, `logs --follow | grep -m1 error`) ends the command as
 * Ctrl-C would, quietly: where another tool dies of SIGPIPE, Node would print a stack trace.
 */
import { ExitCode } from './exitCodes.js';
import { runCli } from './runCli.js';

export async function main(argv: readonly string[]): Promise<void> {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const closed = { out: false, err: false };
  const onOutputError = (which: keyof typeof closed) => (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') throw error;
    closed[which] = true;
    controller.abort();
  };
  process.stdout.on('error', onOutputError('out'));
  process.stderr.on('error', onOutputError('err'));

  let code: number;
  try {
    code = await runCli(argv, {
      out: (line) => void (closed.out || process.stdout.write(`${line}\n`)),
      err: (line) => void (closed.err || process.stderr.write(`${line}\n`)),
      env: process.env,
      signal: controller.signal,
    });
  } catch (error) {
    if (!closed.err) process.stderr.write(`builder-bar: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    code = ExitCode.failed;
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exitCode = code;
  // Exit as soon as nothing is left to do; if a stray handle keeps the loop alive, do not hang.
  setTimeout(() => process.exit(code), 2000).unref();
}

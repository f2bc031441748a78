/**
 * The real process around `runCli`: stdout/stderr, Ctrl-C and SIGTERM as an abort signal,
 * and the exit code. A second Ctrl-C while shutting down exits at once.
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

  let code: number;
  try {
    code = await runCli(argv, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      env: process.env,
      signal: controller.signal,
    });
  } catch (error) {
    process.stderr.write(`builder-bar: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    code = ExitCode.failed;
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.exitCode = code;
  // Exit as soon as nothing is left to do; if a stray handle keeps the loop alive, do not hang.
  setTimeout(() => process.exit(code), 2000).unref();
}

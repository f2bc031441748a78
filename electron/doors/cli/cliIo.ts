/**
 * What a command may touch of the outside world: two output streams, the environment, and a
 * signal that fires on Ctrl-C or SIGTERM. The real process provides it in main.ts; tests give
 * a recorder, so every command's output and exit code are tested without spawning anything.
 */
import type { StatePaths } from '../../core/paths.js';
import type { ErrorInfo } from '../../ipc/contract.js';
import { ExitCode, type ExitCodeValue } from './exitCodes.js';
import type { OptionValue } from './parseCommandLine.js';

export interface CliIo {
  /** Writes one line to stdout (the newline is added). */
  out(line: string): void;
  /** Writes one line to stderr (the newline is added). */
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C or SIGTERM. */
  signal: AbortSignal;
  /** The raw streams, for `proxy` alone (it carries ssh's bytes); the process's when absent. */
  stdio?: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream };
}

export interface CommandContext {
  io: CliIo;
  paths: StatePaths;
  values: Record<string, OptionValue>;
  operands: string[];
}

export function noCoreMessage(stateDir: string): string {
  return `No Builder Bar core is running for ${stateDir}. Start one with: builder-bar serve (or npm start)`;
}

export function printError(io: CliIo, error: ErrorInfo): void {
  io.err(`Error: ${error.message}`);
  if (error.hint) io.err(`Hint: ${error.hint}`);
}

/** A refused input is the user's to fix (2); anything else is a failed operation (1). */
export function exitCodeFor(error: ErrorInfo): ExitCodeValue {
  return error.code === 'invalid-request' || error.code === 'invalid-settings' ? ExitCode.usage : ExitCode.failed;
}

/** Resolves when the signal fires (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

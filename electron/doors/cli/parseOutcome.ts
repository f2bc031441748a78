/**
 * What the CLI says when a command line asks for no work (help, version) or cannot be run (a
 * usage error): one place, so `builder-bar nix …` run in-process by tests and benchmarks answers
 * exactly as the CLI does.
 */
import { appVersion } from '../../core/appVersion.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './exitCodes.js';
import { commandHelp, globalHelp, groupHelp } from './helpText.js';
import type { ParsedCommandLine } from './parseCommandLine.js';

export type RunnableCommandLine = Extract<ParsedCommandLine, { kind: 'run' }>;

/** Prints help, the version or the usage error and returns the exit code; null when there is a command to run. */
export function answerWithoutRunning(parsed: ParsedCommandLine, io: CliIo): number | null {
  switch (parsed.kind) {
    case 'version':
      io.out(appVersion());
      return ExitCode.ok;
    case 'help':
      io.out((parsed.command ? commandHelp(parsed.command) : parsed.group ? groupHelp(parsed.group) : globalHelp()).trimEnd());
      return ExitCode.ok;
    case 'usage-error': {
      const name = parsed.command ? ` ${parsed.command.path.join(' ')}` : '';
      io.err(`builder-bar${name}: ${parsed.message}`);
      io.err(`Run "builder-bar${name} --help" for usage.`);
      return ExitCode.usage;
    }
    case 'run':
      return null;
  }
}

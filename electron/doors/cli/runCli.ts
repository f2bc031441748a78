/**
 * The `builder-bar` CLI: parse, print help, or run one command, and answer with an exit code.
 * Everything it does to the world goes through `CliIo`, so tests drive it in-process.
 */
import { appVersion } from '../../core/appVersion.js';
import { statePaths } from '../../core/paths.js';
import type { CliIo, CommandContext } from './cliIo.js';
import * as client from './clientCommands.js';
import { ExitCode } from './exitCodes.js';
import { commandHelp, globalHelp } from './helpText.js';
import { parseCommandLine } from './parseCommandLine.js';
import { serve, startApp, type ServeCommandOptions } from './serveCommands.js';

export interface RunCliOptions {
  /** Passed to `serve` and `start-app` (tests give a small core). */
  serve?: ServeCommandOptions;
}

export async function runCli(argv: readonly string[], io: CliIo, options: RunCliOptions = {}): Promise<number> {
  const parsed = parseCommandLine(argv);
  switch (parsed.kind) {
    case 'version':
      io.out(appVersion());
      return ExitCode.ok;
    case 'help':
      io.out((parsed.command ? commandHelp(parsed.command) : globalHelp()).trimEnd());
      return ExitCode.ok;
    case 'usage-error': {
      const name = parsed.command ? ` ${parsed.command.path.join(' ')}` : '';
      io.err(`builder-bar${name}: ${parsed.message}`);
      io.err(`Run "builder-bar${name} --help" for usage.`);
      return ExitCode.usage;
    }
    case 'run':
      break;
  }

  const context: CommandContext = {
    io,
    paths: statePaths({ stateDir: parsed.stateDir, env: io.env }),
    values: parsed.values,
    operands: parsed.operands,
  };
  switch (parsed.command.path.join(' ')) {
    case 'serve':
      return serve(context, options.serve);
    case 'start-app':
      return startApp(context, options.serve);
    case 'status':
      return client.withCore(context, client.status);
    case 'start':
      return client.withCore(context, client.start);
    case 'stop':
      return client.withCore(context, client.stop);
    case 'restart':
      return client.withCore(context, client.restart);
    case 'logs':
      return client.withCore(context, client.logs);
    case 'settings get':
      return client.withCore(context, client.settingsGet);
    case 'settings set':
      return client.withCore(context, client.settingsSet);
    default:
      io.err(`builder-bar: "${parsed.command.path.join(' ')}" is not implemented.`);
      return ExitCode.failed;
  }
}

/**
 * The `builder-bar` CLI: parse, print help, or run one command, and answer with an exit code.
 * Everything it does to the world goes through `CliIo`, so tests drive it in-process.
 */
import { imageDisks, imageImportDisk, imageOwnHostKey, imageUpdate } from './imageCommand.js';
import { statePaths } from '../../core/paths.js';
import type { CliIo, CommandContext } from './cliIo.js';
import { runBaselinesCommand } from './baselinesCommand.js';
import * as builders from './builderCommands.js';
import * as buildCommand from './buildCommand.js';
import { builds } from './buildsCommand.js';
import * as client from './clientCommands.js';
import { diagnostics } from './diagnosticsCommand.js';
import { ExitCode } from './exitCodes.js';
import { runNixAction } from './nixCommand.js';
import { answerWithoutRunning } from './parseOutcome.js';
import { parseCommandLine } from './parseCommandLine.js';
import { runProxy } from './proxyCommand.js';
import { serve, startApp, type ServeCommandOptions } from './serveCommands.js';

export interface RunCliOptions {
  /** Passed to `serve` and `start-app` (tests give a small core). */
  serve?: ServeCommandOptions;
}

/** Every command that talks to a running core over its socket, by its words on the command line. */
const commandsThroughTheCore: Readonly<Record<string, client.ClientCommand>> = {
  status: client.status,
  start: client.start,
  stop: client.stop,
  restart: client.restart,
  logs: client.logs,
  'settings get': client.settingsGet,
  'settings set': client.settingsSet,
  build: buildCommand.build,
  builds,
  'builders list': builders.buildersList,
  'builders add': builders.buildersAdd,
  'builders remove': builders.buildersRemove,
  'builders check': builders.buildersCheck,
  diagnostics,
  'image update': imageUpdate,
  'image own-host-key': imageOwnHostKey,
  'image disks': imageDisks,
  'image import-disk': imageImportDisk,
};

export async function runCli(argv: readonly string[], io: CliIo, options: RunCliOptions = {}): Promise<number> {
  const parsed = parseCommandLine(argv);
  const answered = answerWithoutRunning(parsed, io);
  if (answered !== null || parsed.kind !== 'run') return answered ?? ExitCode.usage;

  const context: CommandContext = {
    io,
    paths: statePaths({ stateDir: parsed.stateDir, env: io.env }),
    values: parsed.values,
    operands: parsed.operands,
  };
  const name = parsed.command.path.join(' ');
  if (name === 'serve') return serve(context, options.serve);
  if (name === 'start-app') return startApp(context, options.serve);
  // `nix …` runs without a core (it reads the state dir).
  if (parsed.command.path[0] === 'nix') return runNixAction(parsed, io);
  // `proxy` holds the socket itself and owns stdout for ssh's bytes.
  if (name === 'proxy') return runProxy(context, io.stdio ?? { stdin: process.stdin, stdout: process.stdout });
  // `baselines` runs without a core too: it only reads the repository.
  if (name === 'baselines') return runBaselinesCommand(context);
  const command = commandsThroughTheCore[name];
  if (command) return client.withCore(context, command);
  io.err(`builder-bar: "${name}" is not implemented.`);
  return ExitCode.failed;
}

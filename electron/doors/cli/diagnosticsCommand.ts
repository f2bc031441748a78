/**
 * `builder-bar diagnostics [--out DIR]`: asks the core for a diagnostics bundle and prints its
 * path, so a bug report can say "attach this file". A relative DIR is resolved here, against
 * the shell's directory, because the core may have been started somewhere else.
 */
import path from 'node:path';
import { exitCodeFor, printError } from './cliIo.js';
import type { ClientCommand } from './clientCommands.js';
import { ExitCode } from './exitCodes.js';

export const diagnostics: ClientCommand = async ({ io, values }, client) => {
  const out = typeof values.out === 'string' ? path.resolve(process.cwd(), values.out) : undefined;
  const reply = await client.request('diagnostics.create', out !== undefined ? { outDir: out } : {});
  if (!reply.ok) {
    printError(io, reply.error);
    return exitCodeFor(reply.error);
  }
  io.out(reply.value.path);
  return ExitCode.ok;
};

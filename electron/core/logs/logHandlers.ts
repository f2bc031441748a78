/** The core's `logs.*` requests: tails of the hub's rings, its files, and showing one in the file manager. */
import type { HandlersFor } from '../core.js';
import type { FileRevealer } from './fileRevealer.js';
import type { LogHub } from './logHub.js';

export function logHandlers(deps: { logs: LogHub; logDir: string; fileRevealer: FileRevealer }): HandlersFor<'logs'> {
  const { logs } = deps;
  return {
    'logs.tail': async (input) => ({ lines: logs.tail(input.source, input.lines ?? 500) }),
    'logs.files': async () => ({ logDir: deps.logDir, files: await logs.files() }),
    'logs.reveal': async (input) => {
      // The input is a source name, never a path: only files the hub owns can be shown.
      const file = await logs.existingFile(input.source);
      await deps.fileRevealer.reveal(file);
      return { path: file };
    },
  };
}

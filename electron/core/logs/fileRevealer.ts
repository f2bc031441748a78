/**
 * Shows a log file in the platform's file manager. The core only defines this interface: the
 * Electron shell passes one built on `shell.showItemInFolder`; the headless door and the CLI use
 * the system's own opener (`open -R` on macOS, `xdg-open` on the file's directory elsewhere).
 * Where no file manager can be opened (no display, no opener), the answer says where the file
 * is, so the user can still find it.
 */
import path from 'node:path';
import { execa } from 'execa';
import { BuilderBarError } from '../errors.js';

export interface FileRevealer {
  /** Resolves once the file manager was asked to show `file`; rejects with a BuilderBarError. */
  reveal(file: string): Promise<void>;
}

/** Runs a command (argument array, no shell); rejects when it cannot be run or fails. */
export type RunCommand = (command: string, args: string[]) => Promise<void>;

export interface SystemFileRevealerOptions {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  run?: RunCommand;
}

const runWithExeca: RunCommand = async (command, args) => {
  // The opener hands the path to the file manager and returns; the timeout only guards a hang.
  await execa(command, args, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', timeout: 15_000 });
};

export function systemFileRevealer(options: SystemFileRevealerOptions): FileRevealer {
  const run = options.run ?? runWithExeca;
  const cannot = (file: string, why: string): BuilderBarError =>
    new BuilderBarError('not-supported', `Could not show ${file} in a file manager: ${why}.`, `Open ${file} yourself, e.g. with less or tail -f.`);
  return {
    async reveal(file) {
      let command: string;
      let args: string[];
      if (options.platform === 'darwin') {
        command = 'open';
        args = ['-R', file];
      } else if (options.platform === 'linux' || options.platform === 'freebsd' || options.platform === 'openbsd') {
        if (!options.env.DISPLAY && !options.env.WAYLAND_DISPLAY) {
          throw cannot(file, 'there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set)');
        }
        // xdg-open cannot select a file; it opens the folder that holds it.
        command = 'xdg-open';
        args = [path.dirname(file)];
      } else {
        throw cannot(file, `no file manager is known on ${options.platform}`);
      }
      try {
        await run(command, args);
      } catch (error) {
        const detail = error instanceof Error ? (error as Error & { stderr?: unknown; shortMessage?: unknown }) : null;
        const said = typeof detail?.stderr === 'string' && detail.stderr.trim() !== '' ? detail.stderr.trim().split('\n')[0] : null;
        const message = typeof detail?.shortMessage === 'string' ? detail.shortMessage : detail?.message ?? String(error);
        throw cannot(file, `${command} failed (${said ?? message})`);
      }
    },
  };
}

/**
 * The commands that run a core in this process: `serve`, and `start-app` (what `npm start`
 * runs), which launches the Electron app where its runtime exists and falls back to `serve`.
 */
import { execa } from 'execa';
import { BuilderBarError } from '../../core/errors.js';
import type { ProfileName } from '../../ipc/contract.js';
import { findElectronRuntime } from '../electronRuntime.js';
import { openInBrowser, type OpenerRunner } from '../openBrowser.js';
import { writeOpenPage, type OpenPage } from '../openPage.js';
import { packageRoot } from '../packageRoot.js';
import { AlreadyRunningError, startServe, type CoreFactory } from '../serve.js';
import { aborted, type CommandContext } from './cliIo.js';
import { ExitCode } from './exitCodes.js';

export interface ServeCommandOptions {
  /** For tests of the doors: a small core instead of the real one. */
  createCore?: CoreFactory;
  rendererDir?: string;
  /** For tests: what starts the browser opener (defaults to execa). */
  runOpener?: OpenerRunner;
}

export async function serve(context: CommandContext, options: ServeCommandOptions = {}): Promise<number> {
  const { io, values, paths } = context;
  const port = typeof values.port === 'number' ? values.port : 0;
  let running;
  try {
    running = await startServe({
      stateDir: paths.stateDir,
      env: io.env,
      port,
      profile: typeof values.profile === 'string' ? (values.profile as ProfileName) : undefined,
      ...(options.createCore ? { createCore: options.createCore } : {}),
      ...(options.rendererDir ? { rendererDir: options.rendererDir } : {}),
    });
  } catch (error) {
    if (error instanceof AlreadyRunningError) {
      io.err(error.message);
      return ExitCode.failed;
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      io.err(`Port ${port} on 127.0.0.1 is already in use. Choose another with --port N, or leave --port out for any free port.`);
      return ExitCode.failed;
    }
    io.err(`Builder Bar could not start: ${(error as Error).message}`);
    // What to do about it (the state dir's owner, a read-only disk, …) is the hint.
    if (error instanceof BuilderBarError && error.hint) io.err(`Hint: ${error.hint}`);
    return ExitCode.failed;
  }

  // The one line serve prints on stdout, for a person to open and for a test to read. Stdout
  // is this user's terminal; the process list, where an opener's arguments show, is not.
  io.out(`Builder Bar is serving on ${running.url}`);
  let page: OpenPage | null = null;
  if (values.open === true) {
    try {
      page = await writeOpenPage(running.paths.stateDir, running.url);
      const couldNotOpen = (reason: string): void => io.err(`Could not open a browser (${reason}); open the URL above by hand.`);
      openInBrowser(page.path, io.env, process.platform, options.runOpener).then(
        (reason) => reason && couldNotOpen(reason),
        (error: unknown) => couldNotOpen(error instanceof Error ? error.message : String(error)),
      );
    } catch (error) {
      io.err(`Could not open a browser (writing the page to open failed: ${(error as Error).message}); open the URL above by hand.`);
    }
  }

  await aborted(io.signal);
  await page?.remove().catch(() => undefined);
  const stopBuilder = values['stop-on-exit'] === true;
  io.err(
    stopBuilder
      ? 'Stopping Builder Bar and the builder VM...'
      : 'Stopping Builder Bar. The builder VM keeps running; the next "builder-bar serve" for this state dir adopts it.',
  );
  await running.close({ stopBuilder });
  return ExitCode.ok;
}

export async function startApp(context: CommandContext, options: ServeCommandOptions = {}): Promise<number> {
  const { io, paths } = context;
  const runtime = findElectronRuntime(io.env);
  if (runtime.available) {
    const result = await execa(runtime.executable, [packageRoot()], {
      stdio: 'inherit',
      reject: false,
      env: { ...io.env, BUILDER_BAR_HOME: paths.stateDir },
    });
    return result.exitCode ?? ExitCode.failed;
  }
  io.err(`${runtime.reason}; running the headless door instead (builder-bar serve --profile linux-test --open).`);
  return serve({ ...context, values: { profile: 'linux-test', open: true } }, options);
}

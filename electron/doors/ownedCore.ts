/**
 * Owning a state dir: the one core for it, reachable from the CLI. Both `serve` and the
 * Electron shell need exactly this before opening their own door: take the lock (a second core
 * must never touch the VM), build the core, open the CLI socket. Closing goes in reverse, and
 * a failure half-way undoes what was done, so a refused start leaves no lock or socket behind.
 */
import type { Core } from '../core/core.js';
import type { CoreOptions } from '../core/createCore.js';
import { statePaths, type StatePaths } from '../core/paths.js';
import { prepareStateDir } from '../core/stateDir.js';
import type { ProfileName } from '../ipc/contract.js';
import { CoreClient } from './cli/socketClient.js';
import { SocketDoor } from './socket/socketDoor.js';
import { InstanceLock } from './instanceLock.js';

export type CoreFactory = (options: CoreOptions) => Promise<Core>;

export interface OwnedCoreOptions {
  stateDir?: string | undefined;
  env?: NodeJS.ProcessEnv;
  profile?: ProfileName | undefined;
  /** Defaults to the real `createCore`; tests of the doors' transport may pass a small core. */
  createCore?: CoreFactory;
  /** What the door adds to the core (the Electron shell: its own file manager call). */
  fileRevealer?: CoreOptions['fileRevealer'];
  /**
   * The Electron shell works without the CLI socket (the window and tray are its doors): given
   * this, a socket that cannot be opened is reported here and the start goes on. `serve` has no
   * other door a terminal user could reach, so without it the start fails.
   */
  onSocketRefused?: (error: Error) => void;
}

export interface OwnedCore {
  readonly core: Core;
  readonly paths: StatePaths;
  /**
   * Runs `step` once the core is up; if it throws, everything is undone. `undo` is run on
   * close, before the core's own teardown (doors close before the core they front).
   */
  attach<T>(step: () => Promise<T>, undo: (value: T) => Promise<void>): Promise<T>;
  /** Stops the doors and the core; the VM keeps running for adoption unless `stopBuilder`. */
  close(options: { stopBuilder: boolean }): Promise<void>;
}

export class AlreadyRunningError extends Error {
  constructor(
    readonly stateDir: string,
    readonly pid: number,
  ) {
    super(`Builder Bar is already running for ${stateDir} (pid ${pid})`);
    this.name = 'AlreadyRunningError';
  }
}

export async function startOwnedCore(options: OwnedCoreOptions = {}): Promise<OwnedCore> {
  const env = options.env ?? process.env;
  const paths = statePaths({ stateDir: options.stateDir, env });
  await prepareStateDir(paths.stateDir);

  const locked = await InstanceLock.acquire({ lockFile: paths.lockFile, coreAnswers: () => coreAnswersOn(paths.socketPath) });
  if (!locked.acquired) throw new AlreadyRunningError(paths.stateDir, locked.owner.pid);
  const lock = locked.lock;

  const undo: Array<() => Promise<void>> = [() => lock.release()];
  let closing: Promise<void> | null = null;
  const unwind = (): Promise<void> => {
    closing ??= (async () => {
      for (const step of undo.reverse()) await step().catch(() => undefined);
    })();
    return closing;
  };
  try {
    const createCore = options.createCore ?? (await import('../core/createCore.js')).createCore;
    const core = await createCore({
      stateDir: paths.stateDir,
      env,
      ...(options.profile ? { profile: options.profile } : {}),
      ...(options.fileRevealer ? { fileRevealer: options.fileRevealer } : {}),
    });
    let stopBuilderOnClose = false;
    undo.push(() => core.close({ stopBuilder: stopBuilderOnClose }));
    const socketDoor = await SocketDoor.open({ core, socketPath: paths.socketPath }).catch((error: unknown) => {
      if (!options.onSocketRefused) throw error;
      options.onSocketRefused(error instanceof Error ? error : new Error(String(error)));
      return null;
    });
    if (socketDoor) undo.push(() => socketDoor.close());
    return {
      core,
      paths,
      async attach(step, undoStep) {
        try {
          const value = await step();
          undo.push(() => undoStep(value));
          return value;
        } catch (error) {
          await unwind();
          throw error;
        }
      },
      close({ stopBuilder }) {
        stopBuilderOnClose = stopBuilder;
        return unwind();
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/** True when a core answers `app.info` on this socket within a second or two. */
export async function coreAnswersOn(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  const attempt = (async () => {
    const client = await CoreClient.connect(socketPath);
    try {
      return (await client.request('app.info', {})).ok;
    } finally {
      client.close();
    }
  })().catch(() => false);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

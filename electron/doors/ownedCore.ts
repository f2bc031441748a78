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
import { SocketDoor, somethingAnswers } from './socket/socketDoor.js';
import { InstanceLock, type LockOwner } from './instanceLock.js';

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

/**
 * Another process owns the state dir. The message says what to do in each case: a core that
 * answers is to be used or quit; one that holds the lock without answering may be starting, or
 * stuck, or not a core at all (a lock this version cannot prove stale), and the way out of each
 * is named, down to deleting the lock when no Builder Bar runs.
 */
export class AlreadyRunningError extends Error {
  readonly stateDir: string;
  readonly pid: number;

  constructor(paths: Pick<StatePaths, 'stateDir' | 'socketPath' | 'lockFile'>, owner: LockOwner) {
    const { stateDir, socketPath, lockFile } = paths;
    super(
      owner.coreAnswers
        ? `Builder Bar is already running for ${stateDir} (pid ${owner.pid}): its core answers on ${socketPath}. ` +
            `Use it ("builder-bar --state-dir ${stateDir} status" talks to it), or quit it first (Quit in its menu, or Ctrl-C where "builder-bar serve" runs); ` +
            'a second Builder Bar needs another --state-dir.'
        : `Builder Bar is already running for ${stateDir} (pid ${owner.pid}, in ${lockFile}), but its core does not answer on ${socketPath}: ` +
            `it may still be starting (wait a moment and try again) or be stuck (end it with "kill ${owner.pid}", then start again). ` +
            `If no Builder Bar runs at all, delete ${lockFile} and start again.`,
    );
    this.name = 'AlreadyRunningError';
    this.stateDir = stateDir;
    this.pid = owner.pid;
  }
}

export async function startOwnedCore(options: OwnedCoreOptions = {}): Promise<OwnedCore> {
  const env = options.env ?? process.env;
  const paths = statePaths({ stateDir: options.stateDir, env });
  await prepareStateDir(paths.stateDir);

  const locked = await InstanceLock.acquire({
    lockFile: paths.lockFile,
    coreAnswers: () => coreAnswersOn(paths.socketPath),
    socketListens: () => somethingAnswers(paths.socketPath),
  });
  if (!locked.acquired) throw new AlreadyRunningError(paths, locked.owner);
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

/**
 * True when a core answers `app.info` on this socket within a second or two. The connection is
 * closed either way: one left open to a core that never answers would be held for good.
 */
export async function coreAnswersOn(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  const connecting = CoreClient.connect(socketPath);
  const attempt = connecting.then(async (client) => (await client.request('app.info', {})).ok).catch(() => false);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
    connecting.then((client) => client.close(), () => undefined);
  }
}

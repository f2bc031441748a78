/**
 * `serve`: own the state dir's core (lock, core, CLI socket; see ownedCore.ts) and open the
 * headless browser door onto it.
 */
import type { StatePaths } from '../core/paths.js';
import type { ProfileName } from '../ipc/contract.js';
import { HeadlessDoor } from './headless/headlessDoor.js';
import { startOwnedCore, type CoreFactory } from './ownedCore.js';
import { builtRendererDir } from './packageRoot.js';

export { AlreadyRunningError, type CoreFactory } from './ownedCore.js';

export interface ServeOptions {
  stateDir?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** 0 picks a free port. */
  port?: number;
  profile?: ProfileName | undefined;
  /** Defaults to the built renderer, `out/renderer/`. */
  rendererDir?: string;
  /** Defaults to the real `createCore`; tests of the doors' transport may pass a small core. */
  createCore?: CoreFactory;
}

export interface RunningServe {
  readonly paths: StatePaths;
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** Stops the doors and the core; the VM keeps running for adoption unless `stopBuilder`. */
  close(options: { stopBuilder: boolean }): Promise<void>;
}

export async function startServe(options: ServeOptions = {}): Promise<RunningServe> {
  const owned = await startOwnedCore({
    stateDir: options.stateDir,
    env: options.env ?? process.env,
    profile: options.profile,
    ...(options.createCore ? { createCore: options.createCore } : {}),
  });
  const headless = await owned.attach(
    () => HeadlessDoor.open({ core: owned.core, port: options.port ?? 0, rendererDir: options.rendererDir ?? builtRendererDir() }),
    (door) => door.close(),
  );
  return {
    paths: owned.paths,
    url: headless.url,
    port: headless.port,
    token: headless.token,
    close: (closeOptions) => owned.close(closeOptions),
  };
}

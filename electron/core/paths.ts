/**
 * Where Builder Bar keeps its files. One state dir per instance: `--state-dir DIR` or
 * BUILDER_BAR_HOME keeps instances (and tests) apart. Nothing lives under /tmp, which macOS
 * empties after a few days (a pain point users report about linux-builder).
 *
 * macOS: ~/Library/Application Support/Builder Bar, logs in ~/Library/Logs/Builder Bar.
 * Linux: $XDG_STATE_HOME/builder-bar (default ~/.local/state/builder-bar), logs in its logs/.
 * An explicit state dir holds everything, logs included.
 */
import path from 'node:path';
import { homeDirectory } from './host/homeDirectory.js';

export interface StatePaths {
  stateDir: string;
  logDir: string;
  settingsFile: string;
  /** Client key and this install's guest host key; 0700. */
  keysDir: string;
  /** The VM's runtime files: pid file, QMP socket, console log, disk. */
  vmDir: string;
  /** Built or fetched guest images. */
  imagesDir: string;
  /** The CLI door's socket (0600). */
  socketPath: string;
  /** Held by the one core that owns this state dir. */
  lockFile: string;
}

export interface PathEnvironment {
  stateDir?: string | undefined;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

export function resolveStateDir(input: PathEnvironment = {}): { stateDir: string; logDir: string } {
  const env = input.env ?? process.env;
  const platform = input.platform ?? process.platform;
  const home = input.home ?? homeDirectory();
  const explicit = input.stateDir ?? env.BUILDER_BAR_HOME;
  if (explicit && explicit.trim() !== '') {
    const stateDir = path.resolve(explicit);
    return { stateDir, logDir: path.join(stateDir, 'logs') };
  }
  if (platform === 'darwin') {
    return {
      stateDir: path.join(home, 'Library', 'Application Support', 'Builder Bar'),
      logDir: path.join(home, 'Library', 'Logs', 'Builder Bar'),
    };
  }
  const xdgState = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME)
    ? env.XDG_STATE_HOME
    : path.join(home, '.local', 'state');
  const stateDir = path.join(xdgState, 'builder-bar');
  return { stateDir, logDir: path.join(stateDir, 'logs') };
}

export function statePaths(input: PathEnvironment = {}): StatePaths {
  const { stateDir, logDir } = resolveStateDir(input);
  const vmDir = path.join(stateDir, 'vm');
  return {
    stateDir,
    logDir,
    settingsFile: path.join(stateDir, 'settings.json'),
    keysDir: path.join(stateDir, 'keys'),
    vmDir,
    imagesDir: path.join(stateDir, 'images'),
    socketPath: path.join(stateDir, 'core.sock'),
    lockFile: path.join(stateDir, 'core.lock'),
  };
}

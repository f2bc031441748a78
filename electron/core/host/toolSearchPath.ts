/**
 * The one search path every program Builder Bar runs is found through (Nix, QEMU, qemu-img, git,
 * ssh-keygen, …), with where each directory came from, so the status can say why a tool was
 * found where it was, or not at all:
 *
 *   1. the app's own PATH ("app environment"): a terminal's PATH when started from one (a
 *      nix-shell's QEMU, a test's stand-ins), launchd's bare one when started from Finder;
 *   2. what the user's login shell adds ("login shell", loginShellPath.ts): the PATH a terminal
 *      would have, asked once per core, in the background, with a timeout and a fallback;
 *   3. Nix's own profile directories ("Nix profile"), in the order Nix's shell setup puts them
 *      on PATH, for a Nix that no shell profile mentions (a fresh install before a new login).
 *
 * Each directory counts once, at its first place; relative entries are dropped.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ToolOrigin } from '../../ipc/contract.js';
import { homeDirectory } from './homeDirectory.js';
import { loginShellPath, type LoginShellPath } from './loginShellPath.js';

export type { ToolOrigin };

export interface SearchDir {
  dir: string;
  origin: ToolOrigin;
}

export interface FoundTool {
  name: string;
  path: string;
  origin: ToolOrigin;
}

/** What a caller needs of the search path: its directories, and a program found in them. */
export interface ToolFinder {
  dirs(): Promise<SearchDir[]>;
  find(name: string): Promise<FoundTool | null>;
}

export interface ToolSearchPathOptions {
  /** PATH, HOME, USER, SHELL come from here. */
  env: NodeJS.ProcessEnv;
  /** The login shell to ask; default SHELL, then the account's. Null: do not ask (tests, `nix` without a core). */
  loginShell?: string | null;
  /** How long the login shell may take. */
  loginShellTimeoutMs?: number;
  /** Nix's profile directories; default nixProfileDirs(env). Tests point them at temp dirs. */
  profileDirs?: readonly string[];
  /** Told once how the login shell answered (the core logs it). */
  onLoginShell?: (outcome: LoginShellPath) => void;
}

/**
 * Nix's profile directories, in the order Nix's own shell setup (and nix-darwin's) puts them on
 * PATH: the user's profiles before the system's, so the Nix a terminal would run comes first.
 */
export function nixProfileDirs(env: NodeJS.ProcessEnv): string[] {
  // Always absolute: a relative HOME would give relative directories, which the search drops.
  const home = env.HOME ? homeDirectory(env.HOME) : homeDirectory();
  const user = env.USER || env.LOGNAME || os.userInfo().username;
  // The XDG spec: a relative XDG_STATE_HOME is invalid and is ignored (as paths.ts does).
  const xdgState = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(home, '.local', 'state');
  return [
    path.join(home, '.nix-profile', 'bin'),
    // Nix with `use-xdg-base-directories` keeps the user's profile here instead.
    path.join(xdgState, 'nix', 'profile', 'bin'),
    `/etc/profiles/per-user/${user}/bin`,
    `/nix/var/nix/profiles/per-user/${user}/profile/bin`,
    '/run/current-system/sw/bin',
    '/nix/var/nix/profiles/default/bin',
  ];
}

/** The directories in order, each once at its first place; relative entries are skipped. */
export function searchDirs(parts: Array<{ dirs: readonly string[]; origin: ToolOrigin }>): SearchDir[] {
  const seen = new Set<string>();
  const result: SearchDir[] = [];
  for (const { dirs, origin } of parts) {
    for (const dir of dirs) {
      // A relative entry (or an empty one, meaning the working directory) depends on where the
      // core was started: never run a program from there.
      if (!path.isAbsolute(dir)) continue;
      const normal = path.resolve(dir);
      if (seen.has(normal)) continue;
      seen.add(normal);
      result.push({ dir: normal, origin });
    }
  }
  return result;
}

export class ToolSearchPath implements ToolFinder {
  private loginShell: Promise<LoginShellPath> | null = null;

  constructor(private readonly options: ToolSearchPathOptions) {}

  /** How the login shell answered (asked on first use). */
  loginShellOutcome(): Promise<LoginShellPath> {
    if (!this.loginShell) {
      this.loginShell = loginShellPath({
        env: this.options.env,
        ...(this.options.loginShell !== undefined ? { shell: this.options.loginShell } : {}),
        ...(this.options.loginShellTimeoutMs !== undefined ? { timeoutMs: this.options.loginShellTimeoutMs } : {}),
      }).then((outcome) => {
        this.options.onLoginShell?.(outcome);
        return outcome;
      });
    }
    return this.loginShell;
  }

  async dirs(): Promise<SearchDir[]> {
    const shell = await this.loginShellOutcome();
    return withoutAliases(searchDirs([
      { dirs: (this.options.env.PATH ?? '').split(path.delimiter), origin: 'app-environment' },
      { dirs: shell.ok ? shell.dirs : [], origin: 'login-shell' },
      { dirs: this.options.profileDirs ?? nixProfileDirs(this.options.env), origin: 'nix-profile' },
    ]));
  }

  async find(name: string): Promise<FoundTool | null> {
    return findIn(await this.dirs(), name);
  }
}

/**
 * Each directory once by what it really is: `/bin` and `/usr/bin` are one directory on a merged
 * /usr, and a second `nix` there is the same program, not another one to report.
 */
async function withoutAliases(dirs: SearchDir[]): Promise<SearchDir[]> {
  const seen = new Set<string>();
  const result: SearchDir[] = [];
  for (const entry of dirs) {
    const real = await fs.realpath(entry.dir).catch(() => entry.dir);
    if (seen.has(real)) continue;
    seen.add(real);
    result.push(entry);
  }
  return result;
}

/** The app environment's PATH and Nix's profile directories, without asking a shell: for code that runs without a core. */
export function environmentTools(env: NodeJS.ProcessEnv = process.env, profileDirs?: readonly string[]): ToolSearchPath {
  return new ToolSearchPath({ env, loginShell: null, ...(profileDirs ? { profileDirs } : {}) });
}

/** The first executable file called `name` in the directories, with the directory's origin. */
export async function findIn(dirs: readonly SearchDir[], name: string): Promise<FoundTool | null> {
  // A name with a slash would leave the directory it is looked up in.
  if (name.includes('/') || name === '' || name.startsWith('-')) return null;
  for (const { dir, origin } of dirs) {
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return { name, path: candidate, origin };
  }
  return null;
}

export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

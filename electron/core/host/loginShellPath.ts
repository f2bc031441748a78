/**
 * The PATH the user's login shell sets up. A Mac app started from Finder or at login gets
 * launchd's PATH, `/usr/bin:/bin:/usr/sbin:/sbin`, and none of what the user's shell profile adds
 * (Nix, Homebrew's QEMU): the terminal and the app would run different programs, or the app none.
 *
 * Asked the way `shell-env` and `fix-path` ask: the shell runs as an interactive login shell
 * (`-ilc`, so it reads every profile and rc file a terminal reads) and prints its environment
 * between two random markers, so whatever a profile prints (a banner, a fortune, a warning) is
 * left outside. A shell that does not answer in time is ended with its whole process group and
 * the caller falls back to the app's own PATH; the outcome says why, for the log and the status.
 *
 * The shell comes from SHELL, then the account's entry (`os.userInfo().shell`), and must be an
 * absolute path to an executable file: nothing from the environment becomes an option.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export type LoginShellPath =
  | { ok: true; shell: string; dirs: string[]; ms: number }
  | { ok: false; shell: string | null; why: string };

export interface LoginShellOptions {
  env: NodeJS.ProcessEnv;
  /** The shell to ask; default: SHELL, then the account's login shell. Null: do not ask. */
  shell?: string | null;
  /** How long the shell may take to print its environment (default 5 s: oh-my-zsh can be slow). */
  timeoutMs?: number;
}

export const LOGIN_SHELL_TIMEOUT_MS = 5_000;

/** The login shell to ask, or why there is none to ask. */
export async function loginShellOf(env: NodeJS.ProcessEnv, named?: string | null): Promise<{ shell: string } | { why: string }> {
  if (named === null) return { why: 'asking the login shell is turned off' };
  const candidates = named !== undefined ? [named] : [env.SHELL, accountShell()];
  const refused: string[] = [];
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === null || candidate === '') continue;
    const problem = await shellProblem(candidate);
    if (problem === null) return { shell: candidate };
    refused.push(`${JSON.stringify(candidate)} ${problem}`);
  }
  return { why: refused.length > 0 ? `no usable login shell: ${refused.join('; ')}` : 'no login shell is known (SHELL is unset and the account names none)' };
}

function accountShell(): string | null {
  try {
    return os.userInfo().shell;
  } catch {
    return null;
  }
}

async function shellProblem(shell: string): Promise<string | null> {
  // An absolute path cannot start with "-", so it can never be read as an option.
  if (!path.isAbsolute(shell)) return 'is not an absolute path';
  if (/[\0-\x1f\x7f]/.test(shell)) return 'holds a control character';
  try {
    await fs.access(shell, fsConstants.X_OK);
    if (!(await fs.stat(shell)).isFile()) return 'is not a file';
  } catch {
    return 'is not an executable file';
  }
  return null;
}

/** Asks the login shell for its PATH; never throws, never waits longer than the timeout. */
export async function loginShellPath(options: LoginShellOptions): Promise<LoginShellPath> {
  const chosen = await loginShellOf(options.env, options.shell);
  if ('why' in chosen) return { ok: false, shell: null, why: chosen.why };
  const { shell } = chosen;
  const timeoutMs = options.timeoutMs ?? LOGIN_SHELL_TIMEOUT_MS;
  const marker = `_BUILDER_BAR_ENV_${randomBytes(8).toString('hex')}_`;
  // printf exists in sh, bash, zsh, fish and csh alike, and /usr/bin/env on every Mac and Linux
  // (by its path: a profile that empties PATH still answers); `exit` keeps an rc file that starts
  // something interactive at the end from holding the shell open.
  const script = `printf '%s' '${marker}'; /usr/bin/env; printf '%s' '${marker}'; exit`;
  const started = Date.now();
  const child = execa(shell, ['-ilc', script], {
    // oh-my-zsh would otherwise offer to update itself, and wait for an answer.
    env: { ...options.env, DISABLE_AUTO_UPDATE: 'true' },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    // Its own process group, so a timeout ends whatever the profile started along with it.
    detached: true,
    cleanup: true,
    maxBuffer: 4_000_000,
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([child, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    endGroup(child.pid);
    // Its exit is of no interest any more; execa's promise must still not go unhandled.
    child.catch(() => undefined);
    return { ok: false, shell, why: `${shell} -ilc did not print its environment within ${(timeoutMs / 1000).toFixed(1)} s (ended it)` };
  }
  const stdout = String(outcome.stdout ?? '');
  const dirs = pathBetweenMarkers(stdout, marker);
  if (dirs === null) {
    const how = outcome.exitCode === undefined ? `could not be run (${outcome.shortMessage})` : `exited with code ${outcome.exitCode}`;
    return { ok: false, shell, why: `${shell} -ilc printed no PATH between its markers (it ${how})` };
  }
  return { ok: true, shell, dirs, ms: Date.now() - started };
}

function endGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * The PATH entries the environment between the markers holds, absolute ones only (a relative
 * entry would depend on the core's working directory); null when there is no PATH line there.
 */
export function pathBetweenMarkers(output: string, marker: string): string[] | null {
  const start = output.indexOf(marker);
  if (start < 0) return null;
  const end = output.indexOf(marker, start + marker.length);
  if (end < 0) return null;
  const environment = output.slice(start + marker.length, end);
  const line = environment.split('\n').find((entry) => entry.startsWith('PATH='));
  if (line === undefined) return null;
  return line
    .slice('PATH='.length)
    .replace(/\r$/, '')
    .split(':')
    .filter((dir) => path.isAbsolute(dir));
}

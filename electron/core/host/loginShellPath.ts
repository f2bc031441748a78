/**
 * The PATH the user's login shell sets up. A Mac app started from Finder or at login gets
 * launchd's PATH, `/usr/bin:/bin:/usr/sbin:/sbin`, and none of what the user's shell profile adds
 * (Nix, Homebrew's QEMU): the terminal and the app would run different programs, or the app none.
 *
 * Asked the way `shell-env` and `fix-path` ask: the shell runs as an interactive login shell
 * (`-ilc`, so it reads every profile and rc file a terminal reads), in the user's home as a
 * terminal starts (not in the core's working directory: `/` from Finder, or a checkout whose
 * `.envrc` a direnv hook would load), and prints its PATH between two random markers, so
 * whatever a profile prints (a banner, a fortune, a warning) is left outside. Only PATH is
 * printed (`printenv PATH`), not the whole environment: a variable's value may hold a newline
 * followed by `PATH=…`, and no parser of `env`'s lines can tell that from the real one. The answer is taken as soon as the second marker arrives, not when the output
 * ends: a job the profile starts in the background may hold it open for hours. A shell that
 * does not answer in time is ended with its whole process group and
 * the caller falls back to the app's own PATH; the outcome says why, for the log and the status.
 *
 * The shell comes from SHELL, then the account's entry (`os.userInfo().shell`), and must be an
 * absolute path to an executable file: nothing from the environment becomes an option.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';
import { homeDirectory } from './homeDirectory.js';

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
  // printf exists in sh, bash, zsh, fish and csh alike, and /usr/bin/printenv on every Mac and
  // Linux (by its path: a profile that empties PATH still answers); `exit` keeps an rc file that
  // starts something interactive at the end from holding the shell open.
  const script = `printf '%s' '${marker}'; /usr/bin/printenv PATH; printf '%s' '${marker}'; exit`;
  const env = shellEnvironment(options.env);
  const started = Date.now();
  const child = execa(shell, ['-ilc', script], {
    env,
    extendEnv: false,
    cwd: await startingDirectory(env.HOME),
    stdin: 'ignore',
    // Read here as it comes (not buffered to the end): a job the profile starts in the
    // background (`some-agent &`) inherits stdout and may hold it open long after the shell
    // answered and exited. Nothing is read from stderr, so no such job can hold that.
    stdout: 'pipe',
    stderr: 'ignore',
    buffer: false,
    reject: false,
    // Its own process group, so a timeout ends whatever the profile started along with it.
    detached: true,
    cleanup: true,
  });
  // How it ended, for the message; its promise must never go unhandled, whatever is awaited.
  const exit = child.then(
    (result) => (result.exitCode === undefined ? `could not be run (${result.shortMessage})` : `exited with code ${result.exitCode}`),
    (error: unknown) => `could not be run (${error instanceof Error ? error.message : String(error)})`,
  );
  const deadline = new Deadline(timeoutMs);
  const timedOut = (): LoginShellPath => {
    endGroup(child.pid);
    deadline.cancel();
    return { ok: false, shell, why: `${shell} -ilc did not print its environment within ${(timeoutMs / 1000).toFixed(1)} s (ended it)` };
  };

  const stdout = child.stdout;
  const printed = stdout ? await Promise.race([environmentBetweenMarkers(stdout, marker), deadline.reached]) : null;
  if (printed === 'timeout') return timedOut();
  if (printed === null) {
    const how = await Promise.race([exit, deadline.reached]);
    if (how === 'timeout') return timedOut();
    deadline.cancel();
    return { ok: false, shell, why: `${shell} -ilc printed no PATH between its markers (it ${how})` };
  }
  if (stdout) letShellFinish(child, stdout, deadline);
  const dirs = pathFromPrintenv(printed);
  if (dirs === null) return { ok: false, shell, why: `${shell} -ilc printed no PATH between its markers (its environment has none)` };
  return { ok: true, shell, dirs, ms: Date.now() - started };
}

/**
 * The environment the login shell starts with: the app's, with HOME made absolute (a relative
 * HOME would have the shell read its profile relative to the working directory, `/` from
 * Finder; an unset one, none at all), as login(1) sets it from the account.
 */
function shellEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const home = env.HOME !== undefined && env.HOME !== '' ? homeDirectory(env.HOME) : homeDirectory();
  // oh-my-zsh would otherwise offer to update itself, and wait for an answer.
  return { ...env, HOME: home, DISABLE_AUTO_UPDATE: 'true' };
}

/**
 * Where the shell starts: the home directory, as a terminal window does, so what the profile
 * does relative to the working directory (a direnv hook loading `./.envrc`) sees the home, never
 * the core's working directory; `/` when the home is not a directory (a terminal's fallback too).
 */
async function startingDirectory(home: string | undefined): Promise<string> {
  if (home === undefined) return '/';
  const stat = await fs.stat(home).catch(() => null);
  return stat?.isDirectory() === true ? home : '/';
}

/** A timer whose expiry can be awaited more than once; it never keeps the process alive. */
class Deadline {
  readonly reached: Promise<'timeout'>;
  private timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.reached = new Promise((resolve) => {
      this.timer = setTimeout(() => resolve('timeout'), ms);
      this.timer.unref();
    });
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}

/** Most of an environment a shell could print; more than this between the markers is not one. */
const MAX_ENVIRONMENT_CHARS = 4_000_000;

/**
 * The text between the first two markers, as soon as the second arrives; null when the output
 * ends (or grows past any environment's size) before it does.
 */
export function environmentBetweenMarkers(stdout: Readable, marker: string): Promise<string | null> {
  return new Promise((resolve) => {
    let text = '';
    let opened = -1;
    const finish = (environment: string | null): void => {
      stdout.off('data', onData);
      stdout.off('end', onEnd);
      stdout.off('close', onEnd);
      stdout.off('error', onEnd);
      resolve(environment);
    };
    const onEnd = (): void => finish(null);
    const onData = (chunk: string): void => {
      text += chunk;
      if (opened < 0) {
        opened = text.indexOf(marker);
        // Before the first marker only a marker's worth of text can matter: keep no more.
        if (opened < 0) {
          text = text.slice(-marker.length);
          return;
        }
        text = text.slice(opened + marker.length);
      }
      const closed = text.indexOf(marker);
      if (closed >= 0) finish(text.slice(0, closed));
      else if (text.length > MAX_ENVIRONMENT_CHARS) finish(null);
    };
    stdout.setEncoding('utf8');
    stdout.on('data', onData);
    stdout.once('end', onEnd);
    stdout.once('close', onEnd);
    stdout.once('error', onEnd);
  });
}

/**
 * After the answer: the shell runs its logout files and exits. Its output is drained till then,
 * so it never blocks or dies writing, and released once it has exited, so a background job of
 * the profile holding the pipe keeps nothing of ours open; such a job is the user's, and is left
 * running (as a terminal's would be). A shell still running at the deadline is ended with its group.
 */
function letShellFinish(child: ResultPromise, stdout: Readable, deadline: Deadline): void {
  stdout.resume();
  stdout.on('error', () => undefined);
  const exited = new Promise<'exited'>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve('exited');
    else child.once('exit', () => resolve('exited'));
  });
  Promise.race([exited, deadline.reached])
    .then((how) => {
      if (how === 'timeout') endGroup(child.pid);
      deadline.cancel();
      stdout.destroy();
    })
    // Neither promise rejects and the cleanup does not throw; this only keeps the rule.
    .catch(() => undefined);
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
 * The PATH entries `printenv PATH` printed between the markers, absolute ones only (a relative
 * entry would depend on the core's working directory); null when there is no marker pair or no
 * PATH (printenv prints nothing for an unset variable).
 */
export function pathBetweenMarkers(output: string, marker: string): string[] | null {
  const start = output.indexOf(marker);
  if (start < 0) return null;
  const end = output.indexOf(marker, start + marker.length);
  if (end < 0) return null;
  return pathFromPrintenv(output.slice(start + marker.length, end));
}

/**
 * The absolute entries of the value `printenv PATH` printed (one line, its newline last). An
 * entry holding a control character (a newline: more than one line came) is no directory a
 * profile meant, and is dropped rather than guessed at.
 */
export function pathFromPrintenv(printed: string): string[] | null {
  const value = printed.replace(/\r?\n$/, '');
  if (value === '') return null;
  return value.split(':').filter((dir) => path.isAbsolute(dir) && !/[\0-\x1f\x7f]/.test(dir));
}

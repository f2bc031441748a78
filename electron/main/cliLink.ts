/**
 * "Install Command Line Tool": a `builder-bar` symlink on PATH to the app's own executable
 * (which answers CLI arguments, cliMode.ts), as VS Code installs `code`. The link goes into
 * /usr/local/bin, on every Mac's default PATH; made as the user when that directory is theirs
 * (Homebrew on Intel makes it so), otherwise through the existing admin step (the system's
 * password prompt, macAdminRunner.ts), whose script is only `mkdir` and `ln` of two paths: the
 * link's, a constant, and the executable's, refused unless absolute and free of control
 * characters, and quoted.
 *
 * An existing `builder-bar` is never replaced unless it is a link to a Builder Bar app's
 * executable (the app was moved): an npm-installed `builder-bar` or someone's own file stays.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { shellQuote } from '../core/nix/wiringTarget.js';
import type { PrivilegedRunner } from '../core/nix/macAdminRunner.js';

export const CLI_LINK_DIR = '/usr/local/bin';
export const CLI_LINK_NAME = 'builder-bar';

export type CliLinkState =
  | { kind: 'installed' }
  | { kind: 'absent' }
  /** A link to another Builder Bar app's executable: the app was moved or copied. */
  | { kind: 'moved-app'; target: string }
  | { kind: 'foreign'; what: string };

/** What is at the link's path now, seen from `executable`. */
export async function cliLinkState(linkPath: string, executable: string): Promise<CliLinkState> {
  const info = await fs.lstat(linkPath).catch(() => null);
  if (!info) return { kind: 'absent' };
  if (!info.isSymbolicLink()) return { kind: 'foreign', what: 'a file that is not a link' };
  const target = await fs.readlink(linkPath);
  const resolved = path.resolve(path.dirname(linkPath), target);
  if (resolved === executable) return { kind: 'installed' };
  if (/\/Contents\/MacOS\/Builder Bar$/.test(resolved)) return { kind: 'moved-app', target: resolved };
  return { kind: 'foreign', what: `a link to ${resolved}` };
}

/** The script root runs when the directory is not the user's. */
export function adminLinkScript(executable: string, dir: string = CLI_LINK_DIR): string {
  if (!path.isAbsolute(executable) || /[\0-\x1f\x7f]/.test(executable)) throw new Error(`refusing an executable path that is not absolute or holds a control character: ${JSON.stringify(executable)}`);
  const link = path.join(dir, CLI_LINK_NAME);
  return `/bin/mkdir -p -m 755 ${shellQuote(dir)} && /bin/ln -sfn -- ${shellQuote(executable)} ${shellQuote(link)}`;
}

export interface InstallCliLinkInput {
  /** The app's own executable (process.execPath of the packaged app). */
  executable: string;
  runner: PrivilegedRunner;
  /** Tests: a directory standing for /usr/local/bin. */
  dir?: string;
  /** Whether the user may write the directory; default: access(2). Tests run as root here. */
  isWritable?: (dir: string) => Promise<boolean>;
}

export type InstallOutcome = { ok: true; message: string } | { ok: false; message: string };

export async function installCliLink(input: InstallCliLinkInput): Promise<InstallOutcome> {
  const dir = input.dir ?? CLI_LINK_DIR;
  const link = path.join(dir, CLI_LINK_NAME);
  const state = await cliLinkState(link, input.executable);
  if (state.kind === 'installed') return { ok: true, message: `${link} already runs this app's builder-bar.` };
  if (state.kind === 'foreign') return { ok: false, message: `${link} exists as ${state.what}; Builder Bar leaves it alone. Remove it, then install again.` };
  const script = adminLinkScript(input.executable, dir);
  if (await (input.isWritable ?? writable)(dir)) {
    if (state.kind === 'moved-app') await fs.unlink(link);
    await fs.symlink(input.executable, link);
  } else {
    const outcome = await input.runner.run(script);
    if (outcome.exitCode === -128) return { ok: false, message: 'Cancelled at the password prompt; nothing was installed.' };
    if (outcome.exitCode !== 0) return { ok: false, message: `Could not make ${link} (exit ${outcome.exitCode ?? '?'}): ${outcome.output.trim()}` };
  }
  const verified = await cliLinkState(link, input.executable);
  if (verified.kind !== 'installed') return { ok: false, message: `${link} was not made as expected.` };
  return { ok: true, message: `Installed ${link}: run "builder-bar --help" in a new terminal.` };
}

async function writable(dir: string): Promise<boolean> {
  return fs.access(dir, fsConstants.W_OK).then(() => true, () => false);
}

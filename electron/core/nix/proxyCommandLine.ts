/**
 * The `ProxyCommand` the wiring writes into the ssh alias when the builder runs on demand:
 * `builder-bar proxy` (doors/cli/proxyCommand.ts), so the first ssh connection Nix opens starts
 * the builder.
 *
 * The trust boundary. ssh runs the line through /bin/sh as whoever connects: the user for a
 * config directory, root for the system target (a Mac's nix-daemon). So for the system target
 * every file root executes or reads here (node and the CLI script, or the app's executable) and every
 * directory above it must be root's and writable by no one else, as sshd's StrictModes asks of a
 * key file; otherwise the plan refuses with a problem, since anyone able to edit that script
 * could run code as root. The state dir and --uid are data, not code: the proxy drops to that
 * uid before it reads anything there (and checks that the state dir is that user's).
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BuilderBarError } from '../errors.js';

export interface ProxyCommand {
  /** The words ssh's shell runs. */
  argv: string[];
  /** The files the program and its script are (each must be root's for the system target). */
  code: string[];
}

/** `out/electron/cli/bin.js` of the package above `from` (the build `npm run build:node` makes). */
export function builtCliScript(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'out', 'electron', 'cli', 'bin.js');
    if (existsSync(candidate)) return candidate;
    // Running from out/ itself: this module is out/electron/core/nix/.
    const sibling = path.join(dir, 'cli', 'bin.js');
    if (path.basename(dir) === 'electron' && existsSync(sibling)) return sibling;
    const parent = path.dirname(dir);
    if (parent === dir) throw new BuilderBarError('internal', `Cannot find the built CLI (out/electron/cli/bin.js) above ${from}.`, 'Run "npm run build" first.');
    dir = parent;
  }
}

/**
 * What runs the CLI: Node with the built script; Electron in development (`electron .`, whose
 * runAsNode fuse is still on) run as Node with the script; or the packaged app's own executable,
 * which answers CLI arguments itself (main/cliMode.ts) because its runAsNode fuse is off.
 */
export type ProxyRuntime = { kind: 'node' | 'electron-as-node'; execPath: string; script: string } | { kind: 'app'; execPath: string };

export interface ProxyCommandInput {
  runtime: ProxyRuntime;
  stateDir: string;
  uid: number | null;
}

export function proxyCommand(input: ProxyCommandInput): ProxyCommand {
  const { runtime } = input;
  const program =
    runtime.kind === 'app' ? [runtime.execPath] : runtime.kind === 'electron-as-node' ? ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', runtime.execPath, runtime.script] : [runtime.execPath, runtime.script];
  return {
    argv: [...program, `--state-dir=${input.stateDir}`, 'proxy', ...(input.uid !== null ? ['--uid', String(input.uid)] : [])],
    code: runtime.kind === 'app' ? [runtime.execPath] : [runtime.execPath, runtime.script],
  };
}

/** This process's own runtime: Node or Electron in development with the built CLI, or the packaged app. */
export function ownRuntime(): ProxyRuntime {
  const execPath = process.execPath;
  if (process.versions.electron === undefined) return { kind: 'node', execPath, script: builtCliScript() };
  // `process.defaultApp` is set only when Electron runs an app folder (`electron .`).
  return process.defaultApp ? { kind: 'electron-as-node', execPath, script: builtCliScript() } : { kind: 'app', execPath };
}

/** This process's own runtime and the built CLI. */
export function ownProxyCommand(stateDir: string): ProxyCommand {
  return proxyCommand({
    runtime: ownRuntime(),
    stateDir,
    // A core running as root needs no drop (and uid 0 is no user to become).
    uid: process.getuid === undefined || process.getuid() === 0 ? null : process.getuid(),
  });
}

/**
 * The ssh_config value: each word single-quoted for /bin/sh, `%` doubled (ssh expands %-tokens
 * in a ProxyCommand first). A line break or control character could end the line: refused.
 */
export function proxyCommandLine(command: ProxyCommand): string {
  return command.argv
    .map((word) => {
      if (/[\p{Cc}\u2028\u2029]/u.test(word)) throw new BuilderBarError('wiring-refused', `The path ${JSON.stringify(word)} holds a control character, which an ssh config line cannot carry.`);
      return `'${word.replaceAll("'", "'\\''").replaceAll('%', '%%')}'`;
    })
    .join(' ');
}

/**
 * Why root must not run these files, one sentence each (none: safe). Each file and every
 * directory above it must be owned by root and not writable by group or others; for a symbolic
 * link (Homebrew's `/usr/local/bin/node`), the file it leads to and the directories above that
 * too, since whoever can replace the target changes what root runs.
 */
export async function rootRunProblems(
  files: readonly string[],
  stat: (file: string) => Promise<{ uid: number; mode: number }> = fs.stat,
  realpath: (file: string) => Promise<string> = fs.realpath,
): Promise<string[]> {
  const problems: string[] = [];
  const checked = new Set<string>();
  const paths: string[] = [];
  for (const file of files) {
    const given = path.resolve(file);
    paths.push(given);
    const real = await realpath(given).catch(() => given);
    if (real !== given) paths.push(real);
  }
  for (const file of paths) {
    let current = file;
    for (;;) {
      if (!checked.has(current)) {
        checked.add(current);
        const info = await stat(current).catch(() => null);
        if (info === null) problems.push(`${current} cannot be read.`);
        else if (info.uid !== 0) problems.push(`${current} is not owned by root (uid ${info.uid}).`);
        else if ((info.mode & 0o022) !== 0) problems.push(`${current} is writable by group or others (mode ${(info.mode & 0o7777).toString(8)}).`);
      }
      const parent = path.dirname(current);
      if (parent === current) break;
      current = parent;
    }
  }
  return problems;
}

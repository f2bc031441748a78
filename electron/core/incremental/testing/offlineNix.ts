/**
 * Real Nix for the incremental-build tests, offline and without touching /etc or the user's
 * caches: a Nix conf dir the test owns (FACTS.md sections 2 and 4: no substituters, no sandbox,
 * no build users) plus an empty flake registry, so flakes never look anything up on the network,
 * and a private XDG cache (fetchGit's and flakes' git caches). Each test's sources carry a random
 * nonce so its derivations are new. Every helper takes the Nix to run (one of nixVersions(), so
 * a test runs on each version) and runs its programs by absolute path in that Nix's bin
 * directory, as Builder Bar runs the `nixBinDir` one; `poisonNixOnPath` makes sure nothing
 * reaches for a `nix` on PATH instead.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { TestNix } from '../../nix/testing/nixVersions.js';

export type NixEnvironment = Record<string, string>;

export async function writeOfflineNixConf(root: string): Promise<NixEnvironment> {
  const confDir = path.join(root, 'nix-conf');
  const cacheDir = path.join(root, 'xdg-cache');
  await fs.mkdir(confDir, { recursive: true });
  await fs.mkdir(cacheDir, { recursive: true });
  const registry = path.join(confDir, 'empty-registry.json');
  await fs.writeFile(registry, JSON.stringify({ version: 2, flakes: [] }));
  await fs.writeFile(
    path.join(confDir, 'nix.conf'),
    ['build-users-group =', 'sandbox = false', 'substituters =', `flake-registry = ${registry}`, ''].join('\n'),
  );
  return { NIX_CONF_DIR: confDir, XDG_CACHE_HOME: cacheDir };
}

export interface NixRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Derivations Nix actually built in this run (internal-json activity 105, FACTS.md section 2). */
  built: string[];
}

/**
 * Runs a Nix command (an argument array, never a shell) with internal-json logging, so the test
 * knows exactly which derivations were built rather than guessing from human-readable output.
 */
export async function runNix(nix: TestNix, argv: readonly string[], env: NixEnvironment, cwd?: string): Promise<NixRun> {
  const [program, ...args] = argv;
  if (!program) throw new Error('an empty command');
  const result = await execa(nixProgram(nix, program), [...args, '--log-format', 'internal-json'], {
    env,
    cwd,
    reject: false,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, built: builtDerivations(result.stderr) };
}

const BUILD_ACTIVITY = 105;

function builtDerivations(stderr: string): string[] {
  const built: string[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('@nix {')) continue;
    const event: unknown = JSON.parse(line.slice('@nix '.length));
    if (typeof event !== 'object' || event === null) continue;
    const { action, type, fields } = event as { action?: unknown; type?: unknown; fields?: unknown };
    if (action === 'start' && type === BUILD_ACTIVITY && Array.isArray(fields) && typeof fields[0] === 'string') built.push(fields[0]);
  }
  return built;
}

/** The text of Nix's error messages (internal-json wraps them in `msg` events). */
export function nixMessages(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => {
      if (!line.startsWith('@nix {')) return line;
      const event = JSON.parse(line.slice('@nix '.length)) as { action?: unknown; msg?: unknown };
      return event.action === 'msg' && typeof event.msg === 'string' ? event.msg : '';
    })
    .join('\n');
}

export async function nixStore(nix: TestNix, args: readonly string[], env: NixEnvironment): Promise<string[]> {
  const { stdout } = await execa(nixProgram(nix, 'nix-store'), [...args], { env, stdin: 'ignore' });
  return stdout.split('\n').filter((line) => line.length > 0);
}

/**
 * The absolute path of a Nix program (`nix-build`, `nix`, `nix-instantiate`…) of this Nix: beside
 * its `nix`, as Builder Bar runs them.
 */
export function nixProgram(nix: TestNix, name: string): string {
  if (!/^nix(-[a-z]+)*$/.test(name)) throw new Error(`${name} is not a Nix program`);
  return path.join(nix.binDir, name);
}

/** The Nix programs a stray bare-name spawn would look for on PATH. */
const POISONED = ['nix', 'nix-build', 'nix-store', 'nix-instantiate', 'nix-daemon', 'nix-env', 'nix-shell'];

export interface PoisonedPath {
  /** PATH with the poisoned directory first. */
  path: string;
  /** The poisoned programs run since the last call (name and arguments), in order: a test expects none. */
  takeCalls(): Promise<string[]>;
}

/**
 * A directory of `nix`, `nix-build`… that fail loudly and note each call, to put first on PATH:
 * code that runs Nix by bare name instead of from the chosen Nix's directory runs these.
 */
export async function poisonNixOnPath(dir: string, basePath = process.env.PATH ?? ''): Promise<PoisonedPath> {
  await fs.mkdir(dir, { recursive: true });
  const log = path.join(dir, 'calls.log');
  await fs.writeFile(log, '');
  for (const name of POISONED) {
    await fs.writeFile(
      path.join(dir, name),
      `#!/bin/sh\necho "${name} $*" >> '${log}'\necho "${name} from PATH was run, not the chosen Nix's" >&2\nexit 97\n`,
      { mode: 0o755 },
    );
  }
  return {
    path: `${dir}${path.delimiter}${basePath}`,
    takeCalls: async () => {
      const calls = (await fs.readFile(log, 'utf8')).split('\n').filter((line) => line.length > 0);
      await fs.writeFile(log, '');
      return calls;
    },
  };
}

/**
 * Real Nix for the incremental-build tests, offline and without touching /etc or the user's
 * caches: a Nix conf dir the test owns (FACTS.md sections 2 and 4: no substituters, no sandbox,
 * no build users) plus an empty flake registry, so flakes never look anything up on the network,
 * and a private XDG cache (fetchGit's and flakes' git caches). Builds land in the host's
 * /nix/store like the other integration tests'; each test's sources carry a random nonce so its
 * derivations are new. Nix runs as Builder Bar runs it (nixInstallation.ts): by absolute path, the
 * one BUILDER_BAR_NIX_BIN_DIR names, else the first on PATH or in Nix's profile directories.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { environmentNix } from '../../nix/nixInstallation.js';

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
export async function runNix(argv: readonly string[], env: NixEnvironment, cwd?: string): Promise<NixRun> {
  const [program, ...args] = argv;
  if (!program) throw new Error('an empty command');
  const result = await execa(await nixProgram(program), [...args, '--log-format', 'internal-json'], {
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

export async function nixStore(args: readonly string[], env: NixEnvironment): Promise<string[]> {
  const { stdout } = await execa(await nixProgram('nix-store'), [...args], { env, stdin: 'ignore' });
  return stdout.split('\n').filter((line) => line.length > 0);
}

/**
 * The absolute path of a Nix program (`nix-build`, `nix`, `nix-instantiate`…) of the Nix the
 * tests use: beside its `nix`, as Builder Bar runs them.
 */
export async function nixProgram(name: string): Promise<string> {
  if (!/^nix(-[a-z]+)*$/.test(name)) throw new Error(`${name} is not a Nix program`);
  return path.join((await environmentNix().require()).binDir, name);
}

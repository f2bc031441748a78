/**
 * The Nix versions tests can run on: the host's Nix (the first `nix` on PATH; Debian's 2.8 on
 * the Linux test machines) and the current Nix that resources/setup/ensure-current-nix.mjs makes
 * from Debian's newest nix-bin (`npm test` runs it first; it records what it made in
 * `current.json` in its cache dir). Each entry carries the version its `nix --version` really
 * answers, so a test title says which Nix ran.
 *
 * The current Nix runs inside a Debian root of its own through wrappers (nix-in-root.pl): its
 * store is that root's `/nix/store`, which the host sees at `<root>/nix/store`, apart from the
 * host Nix's. Paths under /tmp, /root, /home, /work and /run and the working directory are the
 * same inside; `/etc/nix` is the root's (tests pass NIX_CONF_DIR anyway).
 *
 *   describe.each(nixVersions())('$label', (nix) => { ... path.join(nix.binDir, 'nix-build') ... })
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execaSync } from 'execa';

export interface TestNix {
  /** "Nix 2.34.8": for test titles. */
  label: string;
  /** What `nix --version` answers, e.g. "2.34.8". */
  version: string;
  /** The directory of `nix`, `nix-build`, `nix-store`, `nix-daemon`, ... of this version. */
  binDir: string;
  /** The Debian root it runs in (its store on the host is `<root>/nix/store`); null: the host's own Nix. */
  root: string | null;
}

/** Where ensure-current-nix.mjs keeps its roots (the same rules as the script). */
export function nixRootsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BUILDER_BAR_NIX_ROOTS) return env.BUILDER_BAR_NIX_ROOTS;
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(xdg, 'builder-bar', 'nix-roots');
}

/** The store path as the host sees it (a current Nix's store lives inside its root). */
export function hostPathOf(nix: TestNix, storePath: string): string {
  return nix.root === null ? storePath : path.join(nix.root, storePath);
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function versionOf(binDir: string): string {
  const nix = path.join(binDir, 'nix');
  const { stdout } = execaSync(nix, ['--version'], { stdin: 'ignore', timeout: 60_000 });
  const version = /(\d+\.\d+(?:\.\d+)?\S*)\s*$/.exec(stdout.trim())?.[1];
  if (!version) throw new Error(`${nix} --version answered ${JSON.stringify(stdout)}, not a version.`);
  return version;
}

function hostNix(): TestNix | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && executable(path.join(dir, 'nix'))) {
      const version = versionOf(dir);
      return { label: `Nix ${version}`, version, binDir: dir, root: null };
    }
  }
  return null;
}

interface CurrentRecord {
  binDir: string;
  root: string;
}

function currentNix(): TestNix | null {
  const file = path.join(nixRootsDir(), 'current.json');
  let record: CurrentRecord;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as CurrentRecord;
  } catch {
    return null;
  }
  if (typeof record.binDir !== 'string' || typeof record.root !== 'string') {
    throw new Error(`${file} does not name a binDir and a root: run \`node resources/setup/ensure-current-nix.mjs\` again.`);
  }
  try {
    const version = versionOf(record.binDir);
    return { label: `Nix ${version}`, version, binDir: record.binDir, root: record.root };
  } catch (error) {
    throw new Error(
      `The current Nix in ${record.binDir} (from ${file}) does not run: ${error instanceof Error ? error.message : String(error)}\n` +
        'Run `node resources/setup/ensure-current-nix.mjs`; it remakes what is missing.',
    );
  }
}

function newerThan(a: string, b: string): number {
  const x = a.split(/[.+~-]/).map((part) => Number.parseInt(part, 10) || 0);
  const y = b.split(/[.+~-]/).map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return 0;
}

let found: TestNix[] | undefined;

/**
 * Every Nix version available to tests, oldest first, one entry per version (the host's first).
 * Synchronous so it can feed `describe.each`; asked once per test file.
 */
export function nixVersions(): TestNix[] {
  if (found) return found;
  const all: TestNix[] = [];
  for (const nix of [hostNix(), currentNix()]) {
    if (nix && !all.some((other) => other.version === nix.version)) all.push(nix);
  }
  found = all.sort((a, b) => newerThan(a.version, b.version));
  return found;
}

/**
 * Which Nix Builder Bar runs: one directory that holds `nix`, `nix-build`, `nix-store` (and
 * usually `nix-daemon`), found in this order:
 *
 *   1. the `nixBinDir` setting, when set;
 *   2. `BUILDER_BAR_NIX_BIN_DIR` in the environment (tests pick a Nix version with it);
 *   3. the core's one search path (host/toolSearchPath.ts): the app's PATH, then what the
 *      login shell's PATH adds, then Nix's known profile directories.
 *
 * The last step matters on a Mac: an app started from Finder gets PATH
 * `/usr/bin:/bin:/usr/sbin:/sbin`, which never holds Nix. A directory that was named (steps 1
 * and 2) and holds no working Nix is reported as such, never silently replaced by another Nix.
 * When more than one directory on the search path holds a `nix`, the first is used and the
 * others are named (`shadowed`), so detection can say which Nix runs when it is not the daemon's.
 *
 * Every program is run by its absolute path in that directory, never by bare name, and never
 * through its symlink target: `nix-build` is often a link to `nix`, which reads its own name.
 * `nix --version` is asked once per installation (cached by the `nix` file's real path, size
 * and time, so an upgrade in place is noticed) and again whenever the choice changes.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { NixInUse } from '../../ipc/contract.js';
import { describeNixVersionAndPlace } from '../../ipc/describeNixInUse.js';
import { BuilderBarError } from '../errors.js';
import { parseNixVersion } from './nixConfigParse.js';
import { environmentTools, isExecutableFile, nixProfileDirs, searchDirs, type SearchDir, type ToolFinder } from '../host/toolSearchPath.js';

export { nixProfileDirs };

export const NIX_PROGRAMS = ['nix', 'nix-build', 'nix-store', 'nix-daemon'] as const;
export type NixProgram = (typeof NIX_PROGRAMS)[number];

/** Detection, builds and GC roots need these; only a test rig starts `nix-daemon`. */
const REQUIRED_PROGRAMS: readonly NixProgram[] = ['nix', 'nix-build', 'nix-store'];

export const NIX_BIN_DIR_ENV = 'BUILDER_BAR_NIX_BIN_DIR';

/** What chose the directory. */
export type NixChoice = 'setting' | 'environment' | 'path' | 'login-shell' | 'profile';

export interface NixInstallation {
  binDir: string;
  chosenBy: NixChoice;
  /** `2.34.8`, as `nix --version` prints it (Determinate Nix: the Nix version it is built on). */
  version: string;
  determinate: boolean;
  /** Absolute path of each program in `binDir`. */
  programs: Record<NixProgram, string>;
  /** Programs the directory lacks; only ones outside REQUIRED_PROGRAMS can be missing. */
  missing: NixProgram[];
  /** Later directories on the search path that also hold a `nix` (not run: only named). */
  shadowed: Array<{ binDir: string; chosenBy: NixChoice }>;
}

export type NixResolution =
  | { found: true; installation: NixInstallation }
  | { found: false; reason: string; hint: string };

/** What a service needs of the locator: the Nix to run now. */
export interface NixResolver {
  resolve(): Promise<NixResolution>;
}

export interface NixLocatorOptions {
  /** The `nixBinDir` setting, read on every resolution (null: find Nix automatically). */
  setting?: () => string | null;
  /** PATH, HOME, USER and BUILDER_BAR_NIX_BIN_DIR come from here; default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** Tests: Nix's profile directories (default: nixProfileDirs(env)); unused with `searchPath`. */
  profileDirs?: readonly string[];
  /** The core's search path; default: env's PATH, then the profile directories (no login shell). */
  searchPath?: Pick<ToolFinder, 'dirs'>;
  /** How long `nix --version` may take. */
  timeoutMs?: number;
}

const INSTALL_HINT =
  'Install Nix (https://nixos.org/download), or tell Builder Bar where it is: builder-bar settings set nixBinDir=/path/to/bin (in the app: Settings, Nix directory).';

export class NixLocator implements NixResolver {
  private readonly env: NodeJS.ProcessEnv;
  private readonly searchPath: Pick<ToolFinder, 'dirs'>;

  constructor(private readonly options: NixLocatorOptions = {}) {
    this.env = options.env ?? process.env;
    this.searchPath = options.searchPath ?? environmentTools(this.env, options.profileDirs);
  }

  async resolve(): Promise<NixResolution> {
    const setting = this.options.setting?.() ?? null;
    if (setting !== null) return this.named(setting, 'setting');
    const fromEnv = this.env[NIX_BIN_DIR_ENV];
    if (fromEnv !== undefined && fromEnv !== '') return this.named(fromEnv, 'environment');
    return this.searched();
  }

  /** The installation to use, or a `nix-missing` error that says why there is none and what to do. */
  async require(): Promise<NixInstallation> {
    const resolution = await this.resolve();
    if (!resolution.found) throw new BuilderBarError('nix-missing', resolution.reason, resolution.hint);
    return resolution.installation;
  }

  /** The Nix in `dir`, or why it holds none (for a `nixBinDir` the user is about to save). */
  inspect(dir: string): Promise<Inspection> {
    return installationIn(dir, 'setting', this.env, this.options.timeoutMs);
  }

  private async named(dir: string, chosenBy: 'setting' | 'environment'): Promise<NixResolution> {
    const inspection = await installationIn(dir, chosenBy, this.env, this.options.timeoutMs);
    if (inspection.ok) return { found: true, installation: inspection.installation };
    if (chosenBy === 'setting') {
      return {
        found: false,
        reason: `The nixBinDir setting names ${dir}, which ${inspection.why}.`,
        hint: 'Set nixBinDir to the directory that holds nix, nix-build and nix-store (a terminal prints it: dirname "$(command -v nix)"), or clear it (builder-bar settings set nixBinDir=) to let Builder Bar find Nix.',
      };
    }
    return { found: false, reason: `${NIX_BIN_DIR_ENV} names ${dir}, which ${inspection.why}.`, hint: `Point ${NIX_BIN_DIR_ENV} at a directory that holds Nix, or unset it.` };
  }

  private async searched(): Promise<NixResolution> {
    const dirs = await this.searchPath.dirs();
    const refused: string[] = [];
    let chosen: NixInstallation | null = null;
    for (const { dir, origin } of dirs) {
      // Only a directory with a `nix` in it is a candidate; any other PATH entry is not a failure.
      if (!(await isExecutableFile(path.join(dir, 'nix')))) continue;
      if (chosen) {
        chosen.shadowed.push({ binDir: dir, chosenBy: choiceOf(origin) });
        continue;
      }
      const inspection = await installationIn(dir, choiceOf(origin), this.env, this.options.timeoutMs);
      if (inspection.ok) chosen = inspection.installation;
      else refused.push(`${dir} ${inspection.why}`);
    }
    if (chosen) return { found: true, installation: chosen };
    if (refused.length > 0) return { found: false, reason: `No working Nix was found: ${refused.join('; ')}.`, hint: INSTALL_HINT };
    const profiles = dirs.filter((entry) => entry.origin === 'nix-profile').map((entry) => entry.dir);
    const shell = dirs.some((entry) => entry.origin === 'login-shell') ? ", your login shell's PATH" : '';
    return { found: false, reason: `Nix was not found on PATH${shell} or in Nix's profile directories (${profiles.join(', ')}).`, hint: INSTALL_HINT };
  }
}

function choiceOf(origin: SearchDir['origin']): NixChoice {
  return origin === 'app-environment' ? 'path' : origin === 'login-shell' ? 'login-shell' : 'profile';
}

/** The Nix of this process's environment (no setting): for tests and for code without a core. */
export function environmentNix(env: NodeJS.ProcessEnv = process.env): NixLocator {
  return new NixLocator({ env });
}

/** PATH's directories, then the profile directories, each once; relative PATH entries are skipped. */
export function nixSearchDirs(envPath: string | undefined, profileDirs: readonly string[]): Array<{ dir: string; chosenBy: 'path' | 'profile' }> {
  return searchDirs([
    { dirs: (envPath ?? '').split(path.delimiter), origin: 'app-environment' },
    { dirs: profileDirs, origin: 'nix-profile' },
  ]).map(({ dir, origin }) => ({ dir, chosenBy: origin === 'app-environment' ? 'path' : 'profile' }));
}

export type Inspection = { ok: true; installation: NixInstallation } | { ok: false; why: string };

async function installationIn(dir: string, chosenBy: NixChoice, env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<Inspection> {
  if (!path.isAbsolute(dir)) return { ok: false, why: 'is not an absolute path' };
  const info = await fs.stat(dir).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) return { ok: false, why: info.code === 'ENOENT' ? 'does not exist' : `cannot be read (${info.code ?? info.message})` };
  if (!info.isDirectory()) return { ok: false, why: 'is not a directory' };
  const programs = Object.fromEntries(NIX_PROGRAMS.map((name) => [name, path.join(dir, name)])) as Record<NixProgram, string>;
  const present = await Promise.all(NIX_PROGRAMS.map((name) => isExecutableFile(programs[name])));
  const missing = NIX_PROGRAMS.filter((_, index) => !present[index]);
  if (missing.includes('nix')) {
    const exists = await fs.lstat(programs.nix).then(() => true, () => false);
    return { ok: false, why: exists ? 'holds a "nix" that is not an executable file' : 'holds no "nix" program' };
  }
  const probe = await askVersion(programs.nix, env, timeoutMs);
  if (!probe.ok) return probe;
  const missingRequired = missing.filter((name) => REQUIRED_PROGRAMS.includes(name));
  if (missingRequired.length > 0) return { ok: false, why: `holds Nix ${probe.version} but no ${missingRequired.join(' or ')}` };
  return { ok: true, installation: { binDir: path.resolve(dir), chosenBy, version: probe.version, determinate: probe.determinate, programs, missing, shadowed: [] } };
}

type VersionAnswer = { ok: true; version: string; determinate: boolean } | { ok: false; why: string; /** Worth asking again (it timed out). */ again?: boolean };

/**
 * Answers by the `nix` file's identity (real path, inode, size, modification time): a profile
 * switch or an upgrade in place asks again; the same Nix named through a new setting does not.
 */
const versionAnswers = new Map<string, Promise<VersionAnswer>>();

async function askVersion(nixPath: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<VersionAnswer> {
  const real = await fs.realpath(nixPath).catch(() => nixPath);
  const info = await fs.stat(real).catch(() => null);
  const key = info ? `${real}\0${info.ino}\0${info.size}\0${info.mtimeMs}` : `${real}\0?`;
  const cached = versionAnswers.get(key);
  if (cached) return cached;
  const answer = runVersion(nixPath, env, timeoutMs);
  versionAnswers.set(key, answer);
  const settled = await answer;
  // A Nix that did not answer in time may only have been slow: ask again next time.
  if (!settled.ok && settled.again) versionAnswers.delete(key);
  return settled.ok ? settled : { ok: false, why: settled.why };
}

async function runVersion(nixPath: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<VersionAnswer> {
  const result = await execa(nixPath, ['--version'], { env, extendEnv: false, reject: false, timeout: timeoutMs, stdin: 'ignore' });
  const stdout = String(result.stdout ?? '');
  if (result.timedOut) return { ok: false, why: `holds a "nix" that did not answer "nix --version" within ${Math.round(timeoutMs / 1000)} s`, again: true };
  const parsed = result.exitCode === 0 ? parseNixVersion(stdout) : null;
  if (parsed) return { ok: true, version: parsed.version, determinate: parsed.determinate };
  const said = (stdout.trim() || String(result.stderr ?? '').trim()).split('\n')[0]?.slice(0, 200) ?? '';
  const how = result.exitCode === undefined ? `could not be run (${result.shortMessage})` : `answered "nix --version" with exit code ${result.exitCode}${said ? `: ${JSON.stringify(said)}` : ''}`;
  return { ok: false, why: `holds a "nix" that ${how}, not a Nix version` };
}

/** "Nix 2.34.8 in /nix/var/nix/profiles/default/bin (found in Nix's profile directories)". */
export function describeInstallation(installation: NixInstallation): string {
  const text = describeNixVersionAndPlace(installation);
  return installation.determinate ? text : `Nix ${text}`;
}

/** The contract's view of the Nix in use, for app info and the doors. */
export function nixInUseView(resolution: NixResolution): NixInUse {
  if (!resolution.found) return { found: false, reason: resolution.reason, hint: resolution.hint };
  const { binDir, version, determinate, chosenBy, missing, shadowed } = resolution.installation;
  return { found: true, binDir, version, determinate, chosenBy, missing, shadowed };
}

/**
 * Taking a directory as the state dir. Builder Bar makes its state dir private (0700) and fills
 * it with keys, a VM disk and a socket, so it must never take over a directory that belongs to
 * something else: `--state-dir ~` used to chmod the home directory to 0700. A directory is
 * accepted when it is new, empty, or already ours: it holds our marker file (written into every
 * state dir we take), or, for state dirs of versions before the marker, `settings.json`, `keys/`,
 * `vm/` or `nix-wiring.json`. Every entry point that makes the state dir (the Electron shell,
 * `serve`, `createCore`, `builder-bar nix`) goes through `prepareStateDir` before anything else
 * touches the directory.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from './errors.js';
import { stateDirProblem } from './stateDirProblem.js';
import { ensurePrivateDir, writeFileAtomic } from './util/atomicWrite.js';

export const STATE_DIR_MARKER = '.builder-bar-state-dir';

/**
 * What only a state dir of ours holds (any one suffices): what versions before the marker wrote,
 * and `electron/`, Chromium's profile, which the Electron shell points into the state dir and
 * which Chromium may create before the core first takes the directory.
 */
const EARLIER_STATE_ENTRIES: ReadonlySet<string> = new Set(['settings.json', 'keys', 'vm', 'nix-wiring.json', 'electron']);

/** Entries that do not make a directory someone else's (Finder writes .DS_Store anywhere). */
const IGNORED_ENTRIES: ReadonlySet<string> = new Set(['.DS_Store']);

/**
 * Makes `dir` the state dir, private (0700) and marked as ours; refuses a directory that is not.
 * A file system that refuses (no permission, read-only, full, a file in the way) is a
 * BuilderBarError naming the directory, why, and what to do (stateDirProblem).
 */
export async function prepareStateDir(dir: string): Promise<void> {
  try {
    await takeStateDir(dir);
  } catch (error) {
    throw (await stateDirProblem(dir, error)) ?? error;
  }
}

async function takeStateDir(dir: string): Promise<void> {
  const entries = await entriesOf(dir);
  const marked = entries?.includes(STATE_DIR_MARKER) ?? false;
  if (entries && !marked) {
    const foreign = entries.filter((entry) => !IGNORED_ENTRIES.has(entry));
    const earlierState = entries.some((entry) => EARLIER_STATE_ENTRIES.has(entry));
    if (foreign.length > 0 && !earlierState) {
      const shown = foreign.slice(0, 3).map((entry) => JSON.stringify(entry)).join(', ');
      throw new BuilderBarError(
        'invalid-request',
        `${dir} is not empty and is not a Builder Bar state dir (it holds ${shown}${foreign.length > 3 ? ` and ${foreign.length - 3} more` : ''}). ` +
          'Builder Bar makes its state dir private (mode 0700) and keeps keys and a VM disk there, so it does not take over another directory: ' +
          'pick an empty or new directory for --state-dir (or BUILDER_BAR_HOME). Nothing was changed.',
        'For example --state-dir ~/builder-bar-state (it is made if it does not exist).',
      );
    }
  }
  await ensurePrivateDir(dir);
  if (!marked) {
    await writeFileAtomic(
      path.join(dir, STATE_DIR_MARKER),
      'This directory is a Builder Bar state dir: settings, keys, the builder VM, logs. Builder Bar keeps it private (0700).\n',
      { mode: 0o600 },
    );
  }
}

/** The directory's entries, or null when it does not exist yet. */
async function entriesOf(dir: string): Promise<string[] | null> {
  try {
    return await fs.readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    // Permissions, a file in the way: explained by stateDirProblem; anything else still named here.
    throw (await stateDirProblem(dir, error)) ??
      new BuilderBarError('invalid-request', `Cannot read the state dir ${dir}: ${(error as Error).message}.`, 'Check its permissions, or pick another directory for --state-dir (or BUILDER_BAR_HOME).');
  }
}

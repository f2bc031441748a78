/**
 * A directory of the project's `resources/` (guest image scripts, Nix expressions), found by
 * walking up from the calling module: the same code runs from the sources (vitest), from `out/`
 * (the CLI and the core) and from a packaged app, each with `resources/` at a different depth.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from '../errors.js';

/** `resources/<name>` above `from` that holds `marker`; an internal error when there is none. */
export function findResourcesDir(name: string, marker: string, from: string): string {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'resources', name);
    if (existsSync(path.join(candidate, marker))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new BuilderBarError('internal', `Cannot find resources/${name}/${marker} above ${from}.`);
    dir = parent;
  }
}

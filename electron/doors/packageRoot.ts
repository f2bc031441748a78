/**
 * The app's own directory (where package.json says `"name": "builder-bar"`), found by walking
 * up from this module. It works both from the sources (`electron/doors/`, under vitest) and
 * from the build (`out/electron/doors/`), so the headless door finds `out/renderer/` and
 * `start-app` finds the app to hand to Electron either way.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'builder-bar') return dir;
    } catch {
      // no package.json here, or not ours: keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find Builder Bar's package.json above ${from}.`);
    dir = parent;
  }
}

/** Where `npm run build` (vite) puts the renderer. */
export function builtRendererDir(): string {
  return path.join(packageRoot(), 'out', 'renderer');
}

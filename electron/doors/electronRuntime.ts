/**
 * Whether Electron's runtime can run here, and where it is. The `electron` npm package exports
 * the binary's path, but requiring it when the binary is missing starts a synchronous
 * download, which hangs or fails slowly where the download is blocked. So this reads the same
 * file the package reads (`path.txt`, written once the download succeeded) and checks that the
 * binary exists, without triggering anything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type ElectronRuntime = { available: true; executable: string } | { available: false; reason: string };

export function findElectronRuntime(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): ElectronRuntime {
  let packageDir: string;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { available: false, reason: "Electron's npm package is not installed (run npm install)" };
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (!relative && !override) {
    return { available: false, reason: "Electron's runtime is not installed here (its download is blocked or did not run)" };
  }
  const executable = override ? path.join(override, relative || 'electron') : path.join(packageDir, 'dist', relative as string);
  if (!existsSync(executable)) {
    return { available: false, reason: `Electron's runtime is missing (${executable} does not exist; its download is blocked or failed)` };
  }
  // A Linux desktop app needs a display server; without one Electron exits at once.
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { available: false, reason: 'There is no display here (DISPLAY and WAYLAND_DISPLAY are unset), so the Electron app cannot open' };
  }
  return { available: true, executable };
}

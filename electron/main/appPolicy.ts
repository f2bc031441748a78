/**
 * Process-level decisions of the Electron shell, as pure functions: the Dock icon, what a
 * second launch does, and where the app's files are in development and when packaged.
 */
import path from 'node:path';
import { RENDERER_PAGES, type WindowKind } from './windowOptions.js';
import { statePaths } from '../core/paths.js';

/**
 * Builder Bar is a menu-bar app (LSUIElement): no Dock icon while it only lives in the menu
 * bar, but while a window is open it shows one, so the window can be found with Cmd-Tab and
 * Mission Control like any other.
 */
export function dockVisibility(openWindowCount: number): 'show' | 'hide' {
  return openWindowCount > 0 ? 'show' : 'hide';
}

/**
 * A second launch (Finder, Spotlight, `open -a`) must not start a second core on the same
 * state dir; it hands over to the running instance, which opens its dashboard: the user asked
 * to "open Builder Bar" and gets to see it.
 */
export function secondInstanceWindow(): WindowKind {
  return 'dashboard';
}

export interface AppLayoutInput {
  /** `app.getAppPath()`: the project root in development, `.../app.asar` when packaged. */
  appPath: string;
  /** `process.resourcesPath`: where electron-builder's extraResources land when packaged. */
  resourcesPath: string;
  /** `app.isPackaged`. */
  packaged: boolean;
}

export interface AppLayout {
  rendererDir: string;
  /** Absolute paths of the renderer pages, by window kind. */
  pages: Record<WindowKind, string>;
  /** The bundled CommonJS preload (`npm run build:preload`). */
  preloadPath: string;
  iconsDir: string;
}

/**
 * `out/**` is inside the asar (electron-builder `files`), `resources/` is copied beside it
 * (`extraResources`, see build/electron-builder.yml) because icons and guest scripts are read
 * by path, and QEMU or a shell script cannot read from inside an asar.
 */
export function appLayout(input: AppLayoutInput): AppLayout {
  const rendererDir = path.join(input.appPath, 'out', 'renderer');
  const resourcesDir = input.packaged ? path.join(input.resourcesPath, 'resources') : path.join(input.appPath, 'resources');
  return {
    rendererDir,
    pages: {
      dashboard: path.join(rendererDir, RENDERER_PAGES.dashboard),
      logs: path.join(rendererDir, RENDERER_PAGES.logs),
    },
    preloadPath: path.join(input.appPath, 'out', 'electron', 'preload', 'index.cjs'),
    iconsDir: path.join(resourcesDir, 'icons'),
  };
}

/**
 * Chromium's profile (and Electron's single-instance lock, which is keyed by it) lives in one
 * folder of the state dir, `electron/`: instances on different state dirs (tests, a second
 * builder) run side by side, and Chromium's own files never sit beside the settings and keys.
 * (Electron's default profile on a Mac, ~/Library/Application Support/Builder Bar, is the state
 * dir itself: Chromium would fill it before the core takes it.)
 */
export function userDataDirFor(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home?: string): string {
  return path.join(statePaths({ env, platform, ...(home !== undefined ? { home } : {}) }).stateDir, 'electron');
}

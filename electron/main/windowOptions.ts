/**
 * The security posture of Builder Bar's windows, as pure values: the BrowserWindow options,
 * which navigations are allowed, and the Content-Security-Policy header. DESIGN.md is binding
 * here (context isolation, sandbox, no Node in the renderer, a CSP with `script-src 'self'`,
 * navigation and new windows denied); electron-vite's template defaults (`sandbox: false`) are
 * exactly what this file exists to avoid. `windowOptions.test.ts` checks every field.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserWindowConstructorOptions } from 'electron';

export type WindowKind = 'dashboard' | 'logs';

/** The renderer's built pages, one per window kind (vite writes them to out/renderer/). */
export const RENDERER_PAGES: Record<WindowKind, string> = {
  dashboard: 'index.html',
  logs: 'logs.html',
};

export interface WindowOptionsInput {
  kind: WindowKind;
  /** Absolute path of the bundled CommonJS preload (sandboxed preloads cannot be ESM). */
  preloadPath: string;
}

const SIZES: Record<WindowKind, { width: number; height: number; minWidth: number; minHeight: number; title: string }> = {
  // The places' sidebar takes 176 px beside the place shown.
  dashboard: { width: 900, height: 640, minWidth: 640, minHeight: 420, title: 'Builder Bar' },
  logs: { width: 900, height: 560, minWidth: 480, minHeight: 300, title: 'Builder Bar — Logs' },
};

export function secureWindowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  const size = SIZES[input.kind];
  return {
    ...size,
    // Shown on `ready-to-show`, so the user never sees an empty white frame.
    show: false,
    // Closing the dashboard hides nothing else: the app lives in the menu bar.
    autoHideMenuBar: true,
    webPreferences: {
      preload: input.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/**
 * The CSP, also set as a header for defence in depth (the renderer's HTML carries the same
 * policy in a meta tag, which is what applies to file:// pages). Styles allow no inline code
 * either: the renderer ships its CSS as files.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Response headers with our CSP replacing any other (header names are case-insensitive). */
export function withContentSecurityPolicy(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') out[name] = value;
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return out;
}

/**
 * The absolute file path a file:// URL names, or null for anything else. The query and
 * fragment are not part of the file (the renderer may use a hash for in-page state), and
 * WHATWG URL parsing has already resolved `..` segments, so `out/renderer/../x.html` cannot
 * pass for a renderer page.
 */
export function fileOfUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'file:') return null;
  // A file URL with a host (file://server/share) is a network path, never our renderer.
  if (parsed.host !== '' && parsed.host !== 'localhost') return null;
  try {
    return path.normalize(fileURLToPath(parsed));
  } catch {
    return null;
  }
}

/** True when `url` is one of our renderer pages (any of them, with any hash or query). */
export function isRendererPage(url: string | null | undefined, rendererPages: readonly string[]): boolean {
  const file = fileOfUrl(url);
  if (file === null) return false;
  return rendererPages.some((page) => path.normalize(page) === file);
}

/**
 * `will-navigate` policy: only to our own pages (a reload, or the hash router moving between
 * views). Everything else — links, redirects, a compromised page sending itself elsewhere — is
 * refused; the renderer has no reason to leave its files.
 */
export function isAllowedNavigation(targetUrl: string, rendererPages: readonly string[]): boolean {
  return isRendererPage(targetUrl, rendererPages);
}

/**
 * `window.open` policy: a link to one of our own pages (the dashboard's "Open Logs") opens
 * that page's own Builder Bar window, built with the same options; anything else is denied.
 * Returns the window kind to open, or null to deny.
 */
export function windowKindForOpen(targetUrl: string, pages: Readonly<Record<WindowKind, string>>): WindowKind | null {
  const file = fileOfUrl(targetUrl);
  if (file === null) return null;
  for (const [kind, page] of Object.entries(pages) as [WindowKind, string][]) {
    if (path.normalize(page) === file) return kind;
  }
  return null;
}

/** Every permission (camera, notifications, geolocation, ...) is refused: the UI needs none. */
export function isPermissionGranted(_permission: string): boolean {
  return false;
}

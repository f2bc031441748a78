import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  fileOfUrl,
  isAllowedNavigation,
  windowKindForOpen,
  isPermissionGranted,
  isRendererPage,
  secureWindowOptions,
  withContentSecurityPolicy,
} from './windowOptions.js';

const pages = ['/app/out/renderer/index.html', '/app/out/renderer/logs.html'];
const dashboardUrl = pathToFileURL(pages[0]!).href;

describe('secureWindowOptions', () => {
  for (const kind of ['dashboard', 'logs'] as const) {
    const prefs = secureWindowOptions({ kind, preloadPath: '/app/out/electron/preload/index.cjs' }).webPreferences ?? {};

    it(`${kind}: isolates the page from the preload and from Node`, () => {
      expect(prefs.contextIsolation).toBe(true);
      expect(prefs.sandbox).toBe(true);
      expect(prefs.nodeIntegration).toBe(false);
      expect(prefs.nodeIntegrationInWorker).toBe(false);
      expect(prefs.nodeIntegrationInSubFrames).toBe(false);
    });

    it(`${kind}: keeps the web's own protections on`, () => {
      expect(prefs.webSecurity).toBe(true);
      expect(prefs.allowRunningInsecureContent).toBe(false);
      expect(prefs.webviewTag).toBe(false);
      expect(prefs.experimentalFeatures).toBe(false);
      expect(prefs.navigateOnDragDrop).toBe(false);
    });

    it(`${kind}: loads the bundled CommonJS preload`, () => {
      expect(prefs.preload).toBe('/app/out/electron/preload/index.cjs');
    });
  }

  it('opens hidden and shows on ready-to-show, so no blank frame flashes', () => {
    expect(secureWindowOptions({ kind: 'dashboard', preloadPath: '/p.cjs' }).show).toBe(false);
  });

  it('titles the windows for Mission Control and the Window menu', () => {
    expect(secureWindowOptions({ kind: 'dashboard', preloadPath: '/p.cjs' }).title).toBe('Builder Bar');
    expect(secureWindowOptions({ kind: 'logs', preloadPath: '/p.cjs' }).title).toBe('Builder Bar — Logs');
  });
});

describe('content security policy', () => {
  it("allows scripts from the app's own files only", () => {
    const directives = CONTENT_SECURITY_POLICY.split('; ');
    expect(directives).toContain("script-src 'self'");
    expect(directives).toContain("object-src 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });

  it('replaces any CSP header a response brings, whatever its case, and keeps the rest', () => {
    const headers = withContentSecurityPolicy({
      'content-security-policy': ["script-src *"],
      'Content-Type': ['text/html'],
    });
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    expect(withContentSecurityPolicy(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});

describe('navigation', () => {
  it('allows our own pages, with a hash or query', () => {
    expect(isAllowedNavigation(dashboardUrl, pages)).toBe(true);
    expect(isAllowedNavigation(`${dashboardUrl}#/settings`, pages)).toBe(true);
    expect(isAllowedNavigation(`${pathToFileURL(pages[1]!).href}?source=app`, pages)).toBe(true);
  });

  it('refuses the web, other files and tricks that look like our files', () => {
    expect(isAllowedNavigation('https://example.com/', pages)).toBe(false);
    expect(isAllowedNavigation('http://127.0.0.1:8080/index.html', pages)).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd', pages)).toBe(false);
    expect(isAllowedNavigation('file:///app/out/renderer/other.html', pages)).toBe(false);
    expect(isAllowedNavigation('file:///app/out/renderer/assets/../../../evil/index.html', pages)).toBe(false);
    expect(isAllowedNavigation('file://attacker.example/app/out/renderer/index.html', pages)).toBe(false);
    expect(isAllowedNavigation('javascript:alert(1)', pages)).toBe(false);
    expect(isAllowedNavigation('not a url', pages)).toBe(false);
  });

  it('resolves dot segments before comparing, so a detour back to our page is still our page', () => {
    expect(fileOfUrl('file:///app/out/renderer/assets/../index.html')).toBe('/app/out/renderer/index.html');
    expect(isRendererPage('file:///app/out/renderer/assets/../index.html', pages)).toBe(true);
  });

  it('handles paths with spaces (the app lives in "Builder Bar.app")', () => {
    const spaced = ['/Applications/Builder Bar.app/Contents/Resources/app.asar/out/renderer/index.html'];
    expect(isRendererPage(pathToFileURL(spaced[0]!).href, spaced)).toBe(true);
  });
});

describe('window.open', () => {
  const byKind = { dashboard: '/app/out/renderer/index.html', logs: '/app/out/renderer/logs.html' };

  it('turns a link to our logs page (with its token fragment) into our own logs window', () => {
    expect(windowKindForOpen('file:///app/out/renderer/logs.html#token=abc', byKind)).toBe('logs');
    expect(windowKindForOpen('file:///app/out/renderer/index.html', byKind)).toBe('dashboard');
  });

  it('denies every other target', () => {
    expect(windowKindForOpen('https://example.com/logs.html', byKind)).toBeNull();
    expect(windowKindForOpen('file:///tmp/logs.html', byKind)).toBeNull();
    expect(windowKindForOpen('file://evil.example/app/out/renderer/logs.html', byKind)).toBeNull();
  });
});

describe('permissions', () => {
  it('refuses every permission a page can ask for', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'unknown']) {
      expect(isPermissionGranted(permission)).toBe(false);
    }
  });
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appLayout, dockVisibility, secondInstanceWindow, userDataDirFor } from './appPolicy.js';

describe('dockVisibility', () => {
  it('hides the Dock icon while Builder Bar only lives in the menu bar', () => {
    expect(dockVisibility(0)).toBe('hide');
  });

  it('shows it while a window is open, so the window can be found with Cmd-Tab', () => {
    expect(dockVisibility(1)).toBe('show');
    expect(dockVisibility(2)).toBe('show');
  });
});

describe('secondInstanceWindow', () => {
  it('answers a second launch with the dashboard', () => {
    expect(secondInstanceWindow()).toBe('dashboard');
  });
});

describe('appLayout', () => {
  it('finds everything under the project root in development', () => {
    const layout = appLayout({ appPath: '/src/builder-bar', resourcesPath: '/ignored', packaged: false });
    expect(layout.pages.dashboard).toBe('/src/builder-bar/out/renderer/index.html');
    expect(layout.pages.logs).toBe('/src/builder-bar/out/renderer/logs.html');
    expect(layout.preloadPath).toBe('/src/builder-bar/out/electron/preload/index.cjs');
    expect(layout.iconsDir).toBe('/src/builder-bar/resources/icons');
  });

  it('reads code from the asar and icons from the extra resources beside it when packaged', () => {
    const contents = '/Applications/Builder Bar.app/Contents/Resources';
    const layout = appLayout({ appPath: `${contents}/app.asar`, resourcesPath: contents, packaged: true });
    expect(layout.pages.dashboard).toBe(`${contents}/app.asar/out/renderer/index.html`);
    expect(layout.preloadPath).toBe(`${contents}/app.asar/out/electron/preload/index.cjs`);
    expect(layout.iconsDir).toBe(`${contents}/resources/icons`);
  });
});

describe('userDataDirFor', () => {
  it("keeps Chromium's profile inside an explicit state dir, so instances stay apart", () => {
    expect(userDataDirFor({ BUILDER_BAR_HOME: '/tmp/bb-test' })).toBe('/tmp/bb-test/electron');
    expect(userDataDirFor({ BUILDER_BAR_HOME: 'relative/dir' })).toBe(path.resolve('relative/dir', 'electron'));
  });

  it("keeps it in the default state dir's electron folder otherwise, never in the state dir itself", () => {
    expect(userDataDirFor({}, 'darwin', '/Users/me')).toBe('/Users/me/Library/Application Support/Builder Bar/electron');
    expect(userDataDirFor({ BUILDER_BAR_HOME: '  ' }, 'linux', '/home/me')).toBe('/home/me/.local/state/builder-bar/electron');
  });
});

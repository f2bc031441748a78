import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSender, type IpcSender } from './senderCheck.js';

const pages = ['/app/out/renderer/index.html', '/app/out/renderer/logs.html'];
const origins = { webContentsIds: new Set([3, 7]), rendererPages: pages };
const fromDashboard: IpcSender = { webContentsId: 3, frameUrl: `${pathToFileURL(pages[0]!).href}#/`, isMainFrame: true };

describe('checkSender', () => {
  it('trusts the main frame of our window showing our page', () => {
    expect(checkSender(fromDashboard, origins)).toEqual({ trusted: true });
    expect(checkSender({ webContentsId: 7, frameUrl: pathToFileURL(pages[1]!).href, isMainFrame: true }, origins)).toEqual({ trusted: true });
  });

  it('refuses a webContents that is not one of our windows', () => {
    const verdict = checkSender({ ...fromDashboard, webContentsId: 99 }, origins);
    expect(verdict).toEqual({ trusted: false, reason: 'webContents 99 is not a Builder Bar window' });
  });

  it('refuses a subframe even inside our page', () => {
    expect(checkSender({ ...fromDashboard, isMainFrame: false }, origins).trusted).toBe(false);
  });

  it('refuses a frame that has gone away', () => {
    expect(checkSender({ ...fromDashboard, frameUrl: null }, origins).trusted).toBe(false);
  });

  it('refuses our window once it shows anything but our pages', () => {
    for (const frameUrl of ['https://example.com/', 'file:///tmp/index.html', 'file:///app/out/renderer/x.html', 'about:blank', 'devtools://devtools/bundled/inspector.html']) {
      expect(checkSender({ ...fromDashboard, frameUrl }, origins).trusted).toBe(false);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { hashWithoutToken, takePageToken } from './pageToken.js';

/** A tab: its address, its history entry and its sessionStorage, kept across "reloads". */
function fakeTab(address: string) {
  const url = new URL(address);
  const stored = new Map<string, string>();
  const sessionStorage = {
    getItem: (key: string) => stored.get(key) ?? null,
    setItem: (key: string, value: string) => void stored.set(key, value),
  } as unknown as Storage;
  const history = {
    state: null,
    replaceState: (_state: unknown, _title: string, next: string) => {
      const replaced = new URL(next, url);
      url.hash = replaced.hash;
      url.pathname = replaced.pathname;
      url.search = replaced.search;
    },
  } as unknown as History;
  const win = { location: url as unknown as Location, history, sessionStorage };
  return { win, address: () => url.href, stored };
}

describe('the page token', () => {
  it('is read from the address once and dropped from it, keeping the rest of the address', () => {
    const tab = fakeTab('http://127.0.0.1:4567/logs.html?cap=100#token=abc-123');
    expect(takePageToken(tab.win)).toBe('abc-123');
    expect(tab.address()).toBe('http://127.0.0.1:4567/logs.html?cap=100');
    expect(tab.address()).not.toContain('abc-123');
  });

  it('survives a reload of the same tab, from sessionStorage', () => {
    const tab = fakeTab('http://127.0.0.1:4567/#token=abc');
    takePageToken(tab.win);
    expect(takePageToken(tab.win)).toBe('abc');
    expect(tab.address()).toBe('http://127.0.0.1:4567/');
  });

  it('prefers a fresh token in the address over an older one kept by the tab', () => {
    const tab = fakeTab('http://127.0.0.1:4567/#token=old');
    takePageToken(tab.win);
    tab.win.location.hash = '#token=new';
    expect(takePageToken(tab.win)).toBe('new');
  });

  it('is null without a token anywhere, and leaves such an address alone', () => {
    const tab = fakeTab('http://127.0.0.1:4567/#section');
    expect(takePageToken(tab.win)).toBeNull();
    expect(tab.address()).toBe('http://127.0.0.1:4567/#section');
  });

  it('keeps other fragment parameters', () => {
    expect(hashWithoutToken('#token=a&x=1')).toBe('#x=1');
    expect(hashWithoutToken('#token=a')).toBe('');
  });
});

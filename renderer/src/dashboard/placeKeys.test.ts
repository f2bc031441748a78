import { describe, expect, it } from 'vitest';
import { placeForShortcut, rovingIndex, shortcutOf } from './placeKeys.js';

const key = (k: string, mods: Partial<{ metaKey: boolean; ctrlKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) => ({
  key: k,
  metaKey: false,
  ctrlKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe('rovingIndex', () => {
  it('moves down and up, wrapping at both ends', () => {
    expect(rovingIndex('ArrowDown', 0, 6)).toBe(1);
    expect(rovingIndex('ArrowDown', 5, 6)).toBe(0);
    expect(rovingIndex('ArrowUp', 3, 6)).toBe(2);
    expect(rovingIndex('ArrowUp', 0, 6)).toBe(5);
  });

  it('goes to the first and the last place with Home and End', () => {
    expect(rovingIndex('Home', 4, 6)).toBe(0);
    expect(rovingIndex('End', 1, 6)).toBe(5);
  });

  it('leaves every other key (Tab, Enter, letters, sideways arrows) alone', () => {
    for (const other of ['Tab', 'Enter', ' ', 'a', 'ArrowLeft', 'ArrowRight']) expect(rovingIndex(other, 2, 6)).toBeNull();
    expect(rovingIndex('ArrowDown', 0, 0)).toBeNull();
  });
});

describe('placeForShortcut', () => {
  it('takes Cmd or Ctrl with a digit to the place in the sidebar order', () => {
    expect(placeForShortcut(key('1', { metaKey: true }))).toBe('builder');
    expect(placeForShortcut(key('2', { ctrlKey: true }))).toBe('builds');
    expect(placeForShortcut(key('6', { metaKey: true }))).toBe('settings');
  });

  it('ignores a bare digit, extra modifiers, a digit past the last place and other keys', () => {
    expect(placeForShortcut(key('1'))).toBeNull();
    expect(placeForShortcut(key('1', { metaKey: true, shiftKey: true }))).toBeNull();
    expect(placeForShortcut(key('1', { ctrlKey: true, altKey: true }))).toBeNull();
    expect(placeForShortcut(key('7', { metaKey: true }))).toBeNull();
    expect(placeForShortcut(key('0', { metaKey: true }))).toBeNull();
    expect(placeForShortcut(key('s', { metaKey: true }))).toBeNull();
  });

  it('announces each place\'s shortcut', () => {
    expect(shortcutOf('builder')).toBe('Meta+1 Control+1');
    expect(shortcutOf('settings')).toBe('Meta+6 Control+6');
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_PLACE, PLACES, PLACE_TITLES, fragmentToShow, hashForPlace, isPlace, placeFromHash, placeOfUrl } from './places.js';

describe('places', () => {
  it('reads the place a fragment names, with or without its #', () => {
    expect(placeFromHash('#place=builds')).toBe('builds');
    expect(placeFromHash('place=settings')).toBe('settings');
    expect(placeFromHash('#token=abc&place=nix')).toBe('nix');
  });

  it('falls back to the Builder for no fragment, another parameter, or a place it does not know', () => {
    expect(DEFAULT_PLACE).toBe('builder');
    expect(placeFromHash('')).toBe('builder');
    expect(placeFromHash('#token=abc')).toBe('builder');
    expect(placeFromHash('#place=')).toBe('builder');
    expect(placeFromHash('#place=logs')).toBe('builder');
    expect(placeFromHash('#place=Builds')).toBe('builder');
    expect(placeFromHash('#place=__proto__')).toBe('builder');
    expect(placeFromHash('#place=constructor')).toBe('builder');
  });

  it('writes a fragment that names the place and keeps the token beside it', () => {
    expect(hashForPlace('nix')).toBe('#place=nix');
    expect(hashForPlace('nix', '#place=builds')).toBe('#place=nix');
    expect(hashForPlace('baselines', '#token=a%2Bb')).toBe('#token=a%2Bb&place=baselines');
    for (const place of PLACES) expect(placeFromHash(hashForPlace(place, '#token=t'))).toBe(place);
  });

  it('reads the place of a whole address, as the shell sees its window', () => {
    expect(placeOfUrl('file:///Applications/Builder%20Bar.app/Contents/Resources/app/out/renderer/index.html#place=settings')).toBe('settings');
    expect(placeOfUrl('file:///x/index.html')).toBe('builder');
    expect(placeOfUrl('')).toBe('builder');
    expect(placeOfUrl('not a url')).toBe('builder');
  });

  it('moves an open window only when it shows another place', () => {
    const page = 'file:///x/out/renderer/index.html';
    expect(fragmentToShow(page, 'builds')).toBe('#place=builds');
    expect(fragmentToShow(`${page}#place=nix`, 'settings')).toBe('#place=settings');
    expect(fragmentToShow(`${page}#place=nix`, 'nix')).toBeNull();
    // No fragment is the Builder place already.
    expect(fragmentToShow(page, 'builder')).toBeNull();
    expect(fragmentToShow(`${page}#place=nix`, 'builder')).toBe('#place=builder');
    expect(fragmentToShow('', 'builds')).toBe('#place=builds');
  });

  it('has a title for every place and knows nothing else as a place', () => {
    expect(Object.keys(PLACE_TITLES)).toEqual([...PLACES]);
    expect(isPlace('builds')).toBe(true);
    expect(isPlace('dashboard')).toBe(false);
    expect(isPlace(1)).toBe(false);
  });
});

/**
 * The place the Dashboard window shows, as its address names it (`#place=…`, see
 * electron/ipc/places.ts for why the fragment). The address is the one truth: a sidebar link,
 * a shortcut, the browser's Back button and the Electron shell's tray all change the fragment,
 * and the window follows `hashchange`. Nothing else keeps a copy.
 */
import { useCallback, useEffect, useState } from 'react';
import { hashForPlace, placeFromHash, type Place } from '../../../electron/ipc/places.js';

export function usePlace(win: Window = window): { place: Place; goTo: (place: Place) => void } {
  const [place, setPlace] = useState<Place>(() => placeFromHash(win.location.hash));
  useEffect(() => {
    const follow = (): void => setPlace(placeFromHash(win.location.hash));
    win.addEventListener('hashchange', follow);
    // The address may have moved between the first render and this effect.
    follow();
    return () => win.removeEventListener('hashchange', follow);
  }, [win]);
  const goTo = useCallback(
    (next: Place) => {
      // Keeps any other parameter of the fragment; an assignment adds a history entry and fires `hashchange`.
      if (placeFromHash(win.location.hash) !== next) win.location.hash = hashForPlace(next, win.location.hash);
    },
    [win],
  );
  return { place, goTo };
}

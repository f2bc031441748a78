/**
 * The keyboard of the Dashboard's sidebar, as pure functions: Up and Down (and Home, End) move
 * the focus between places, as in a Mac sidebar, while Tab leaves the sidebar for the place's own
 * controls; Cmd+1…6 (Ctrl+1…6 elsewhere) go straight to a place, in the sidebar's order.
 */
import { PLACES, type Place } from '../../../electron/ipc/places.js';

/** The index the focus moves to for `key`, wrapping at both ends; null for keys the sidebar leaves alone. */
export function rovingIndex(key: string, current: number, count: number): number | null {
  if (count <= 0) return null;
  switch (key) {
    case 'ArrowDown':
      return (current + 1) % count;
    case 'ArrowUp':
      return (current - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

export interface ShortcutKey {
  key: string;
  metaKey: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** The place Cmd/Ctrl+digit names, or null (another key, another modifier, a digit past the last place). */
export function placeForShortcut(event: ShortcutKey): Place | null {
  if (!(event.metaKey || event.ctrlKey) || event.altKey || event.shiftKey) return null;
  if (!/^[1-9]$/.test(event.key)) return null;
  return PLACES[Number(event.key) - 1] ?? null;
}

/** What the sidebar announces as each place's shortcut (aria-keyshortcuts). */
export function shortcutOf(place: Place): string {
  const digit = PLACES.indexOf(place) + 1;
  return `Meta+${digit} Control+${digit}`;
}

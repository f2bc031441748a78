/**
 * A small line drawing for each place in the sidebar, as Mac sidebars have. Drawn in the text's
 * colour (CSS sets `stroke: currentColor`), so it follows the light and dark appearance and the
 * selected item's colour. Decoration only: the place's name is its label.
 */
import type { Place } from '../../../electron/ipc/places.js';

const PATHS: Record<Place, string> = {
  // The builder machine: a box with a status light.
  builder: 'M2.5 3.5h11v9h-11z M2.5 9.5h11 M5 11h.01',
  // A queue of builds.
  builds: 'M3 4h.01 M6 4h7 M3 8h.01 M6 8h7 M3 12h.01 M6 12h7',
  // Nix's snowflake, as three crossing lines.
  nix: 'M8 2v12 M2.8 5l10.4 6 M2.8 11l10.4-6',
  // A branch leaving a line of commits.
  baselines: 'M5 2.5v11 M5 10c0-3 6-2 6-5 M11 3.5a1.5 1.5 0 1 0 0 .01 M5 13.5a1.5 1.5 0 1 0 0 .01',
  // Several machines.
  builders: 'M2.5 2.5h11v4h-11z M2.5 9.5h11v4h-11z M5 4.5h.01 M5 11.5h.01',
  // Sliders.
  settings: 'M3 4.5h10 M3 11.5h10 M6 3v3 M10 10v3',
};

export function PlaceIcon({ place }: { place: Place }) {
  return (
    <svg className="place-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      <path d={PATHS[place]} />
    </svg>
  );
}

/**
 * The Dashboard's sidebar, as Podman Desktop and macOS utilities have one: the builder's state
 * in a word (so it stays in sight from every place), the places as links, and the Logs window.
 *
 * Keyboard: the places are one Tab stop (the current place, or the last one focused); Up, Down,
 * Home and End move between them and Enter opens one, as in a Mac sidebar; Tab then goes on to
 * the Logs link and the place's own controls. Cmd+1…6 (Ctrl+1…6) open a place from anywhere.
 */
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { PLACES, PLACE_TITLES, hashForPlace, type Place } from '../../../electron/ipc/places.js';
import type { Status } from '../api/contract.js';
import { pageLink } from '../api/pickApi.js';
import { useDoor, useMirror } from '../components/doorContext.js';
import { describeState } from '../format/format.js';
import { runningBuildCount } from '../state/buildsMirror.js';
import { PlaceIcon } from './PlaceIcon.js';
import { placeForShortcut, rovingIndex, shortcutOf } from './placeKeys.js';

export interface SidebarProps {
  place: Place;
  goTo: (place: Place) => void;
  status: Status | null;
}

export function Sidebar({ place, goTo, status }: SidebarProps) {
  const { door } = useDoor();
  const running = runningBuildCount(useMirror((mirror) => mirror.builds));
  const links = useRef<Array<HTMLAnchorElement | null>>([]);
  const [tabStop, setTabStop] = useState(() => PLACES.indexOf(place));
  useEffect(() => setTabStop(PLACES.indexOf(place)), [place]);

  useEffect(() => {
    const onKeyDown = (event: globalThis.KeyboardEvent): void => {
      const target = placeForShortcut(event);
      if (target === null) return;
      event.preventDefault();
      goTo(target);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [goTo]);

  const onListKeyDown = (event: KeyboardEvent<HTMLUListElement>): void => {
    const next = rovingIndex(event.key, tabStop, PLACES.length);
    if (next === null) return;
    event.preventDefault();
    setTabStop(next);
    links.current[next]?.focus();
  };

  const state = status ? describeState(status) : null;
  // Tooltips: a narrow window shows only the icons and the dot (places.css).
  const stateTitle = state ? `Builder: ${state.word}${state.detail ? ` — ${state.detail}` : ''}` : undefined;
  return (
    <nav className="sidebar" aria-label="Places">
      <div className="sidebar-head">
        <div className="app-name">Builder Bar</div>
        {/* The Builder place's header announces changes itself; elsewhere this one does. */}
        <div className="sidebar-state" role="status" aria-live={place === 'builder' ? 'off' : 'polite'} title={stateTitle}>
          <span className={`dot dot-${state?.tone ?? 'neutral'}`} aria-hidden="true" />
          <span className="visually-hidden">Builder: </span>
          <span>{state?.word ?? 'Loading…'}</span>
        </div>
      </div>
      <ul className="place-list" onKeyDown={onListKeyDown}>
        {PLACES.map((each, index) => (
          <li key={each}>
            <a
              ref={(element) => {
                links.current[index] = element;
              }}
              className="place-link"
              href={hashForPlace(each)}
              aria-current={each === place ? 'page' : undefined}
              aria-keyshortcuts={shortcutOf(each)}
              tabIndex={index === tabStop ? 0 : -1}
              onFocus={() => setTabStop(index)}
              title={PLACE_TITLES[each]}
            >
              <PlaceIcon place={each} />
              <span className="place-name">{PLACE_TITLES[each]}</span>
              {each === 'builds' && running > 0 ? <span className="place-badge">
                  {running}
                  <span className="visually-hidden"> running</span>
                </span> : null}
            </a>
          </li>
        ))}
      </ul>
      <div className="sidebar-foot">
        <a className="place-link" href={pageLink('logs.html', door.token)} target="_blank" rel="noopener" title="Open the Logs window">
          <span className="place-name">Logs</span>
          <span aria-hidden="true">↗</span>
        </a>
      </div>
    </nav>
  );
}

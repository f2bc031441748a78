/**
 * The Dashboard window: a sidebar of places (Builder, Builds, Nix, Baselines, Builders,
 * Settings) and the place the address names (usePlace.ts). The connection banner and the
 * sidebar's state word stay in sight in every place.
 *
 * Every place stays mounted and only the shown one is visible (`hidden`), so a half-typed build
 * target, a Nix plan or a settings draft is still there after a look at another place, and
 * nothing is fetched again on the way back.
 */
import { useEffect, type ReactNode } from 'react';
import { PLACES, PLACE_TITLES, type Place } from '../../../electron/ipc/places.js';
import { BaselinesPanel } from '../baselines/BaselinesPanel.js';
import { RemoteBuildersPanel } from '../builders/RemoteBuildersPanel.js';
import { BuildsPanel } from '../builds/BuildsPanel.js';
import { ConnectionBanner } from '../components/ConnectionBanner.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useMirror } from '../components/doorContext.js';
import { NixPanel } from '../nix/NixPanel.js';
import { useAppInfo } from '../settings/useNixInUse.js';
import { BuilderPlace } from './BuilderPlace.js';
import { SettingsForm } from './SettingsForm.js';
import { Sidebar } from './Sidebar.js';
import { usePlace } from './usePlace.js';

export function Dashboard() {
  const status = useMirror((mirror) => mirror.status);
  const settings = useMirror((mirror) => mirror.settings);
  const loadError = useMirror((mirror) => mirror.loadError);
  const info = useAppInfo();
  const nix = info?.nix ?? null;
  const { place, goTo } = usePlace();

  useEffect(() => {
    // The window's title names the place (Electron's title bar, a browser tab); a new place starts at its top.
    document.title = `Builder Bar — ${PLACE_TITLES[place]}`;
    window.scrollTo(0, 0);
  }, [place]);

  const contents: Record<Place, ReactNode> = {
    builder: <BuilderPlace status={status} nix={nix} hostTools={info?.hostTools ?? null} shown={place === 'builder'} />,
    builds: <BuildsPanel />,
    nix: <NixPanel />,
    baselines: <BaselinesPanel />,
    builders: <RemoteBuildersPanel />,
    settings: <SettingsForm settings={settings} nix={nix} notices={info?.settingsNotices ?? []} />,
  };

  return (
    <div className="window">
      <ConnectionBanner />
      <div className="places">
        <Sidebar place={place} goTo={goTo} status={status} />
        <main className="dashboard" aria-labelledby="place-title">
          <h1 id="place-title" className="place-title">
            {PLACE_TITLES[place]}
          </h1>
          {loadError ? <ErrorNote error={loadError} /> : null}
          {PLACES.map((each) => (
            <div key={each} className="place" data-place={each} hidden={each !== place}>
              {contents[each]}
            </div>
          ))}
        </main>
      </div>
    </div>
  );
}

/** The Dashboard window: state, actions, last error, resources, host key, console, settings. */
import { BaselinesPanel } from '../baselines/BaselinesPanel.js';
import { RemoteBuildersPanel } from '../builders/RemoteBuildersPanel.js';
import { BuildsPanel } from '../builds/BuildsPanel.js';
import { ConnectionBanner } from '../components/ConnectionBanner.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useMirror } from '../components/doorContext.js';
import { Actions } from './Actions.js';
import { ConsolePanel } from './ConsolePanel.js';
import { HostKeyPanel } from './HostKeyPanel.js';
import { LastError } from './LastError.js';
import { Resources } from './Resources.js';
import { SettingsForm } from './SettingsForm.js';
import { StateHeader } from './StateHeader.js';
import { NixPanel } from '../nix/NixPanel.js';
import { useAppInfo } from '../settings/useNixInUse.js';

export function Dashboard() {
  const status = useMirror((mirror) => mirror.status);
  const settings = useMirror((mirror) => mirror.settings);
  const loadError = useMirror((mirror) => mirror.loadError);
  const info = useAppInfo();
  const nix = info?.nix ?? null;
  return (
    <div className="window">
      <ConnectionBanner />
      <main className="dashboard">
        <StateHeader status={status} nix={nix} hostTools={info?.hostTools ?? null} />
        {loadError ? <ErrorNote error={loadError} /> : null}
        <Actions state={status?.state ?? null} />
        {status ? <LastError error={status.error} restart={status.restart} /> : null}
        <div className="columns">
          <Resources guest={status?.guest ?? null} />
          <HostKeyPanel hostKey={status?.hostKey ?? null} profile={status?.profile} progress={status?.hostKeySwitch ?? null} />
        </div>
        <BuildsPanel />
        <RemoteBuildersPanel />
        <NixPanel />
        <BaselinesPanel />
        <ConsolePanel />
        <SettingsForm settings={settings} nix={nix} />
      </main>
    </div>
  );
}

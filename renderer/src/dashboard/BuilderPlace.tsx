/**
 * The Builder place: the builder itself. Its state and facts, Start/Stop, the last error, what
 * it uses (resources), whom ssh trusts (host key), and its serial console.
 */
import type { HostTools, NixInUse, Status } from '../api/contract.js';
import { Actions } from './Actions.js';
import { ConsolePanel } from './ConsolePanel.js';
import { HostKeyPanel } from './HostKeyPanel.js';
import { LastError } from './LastError.js';
import { Resources } from './Resources.js';
import { StateHeader } from './StateHeader.js';

export interface BuilderPlaceProps {
  status: Status | null;
  nix: NixInUse | null;
  hostTools: HostTools | null;
  /** Whether the place is on screen; the console is only made then (see below). */
  shown: boolean;
}

export function BuilderPlace({ status, nix, hostTools, shown }: BuilderPlaceProps) {
  return (
    <>
      <StateHeader status={status} nix={nix} hostTools={hostTools} />
      <Actions state={status?.state ?? null} />
      {status ? <LastError error={status.error} restart={status.restart} /> : null}
      <div className="columns">
        <Resources guest={status?.guest ?? null} />
        <HostKeyPanel hostKey={status?.hostKey ?? null} profile={status?.profile} progress={status?.hostKeySwitch ?? null} />
      </div>
      {/* The console keeps to its newest line only while it has a size: a hidden one would come
          back scrolled to its top. It holds no draft (its lines are the window's mirror), so it
          is made afresh each time the place is shown, at its tail. */}
      {shown ? <ConsolePanel /> : null}
    </>
  );
}

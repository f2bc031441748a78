/**
 * The guest's pinned host key, and why trusting it is weak when it is nixpkgs' public one. For the
 * Mac builder on that key, "Make its own host key" builds the image again with a key made for
 * this install, on the builder itself (through the Nix wiring), restarts the builder into it once
 * no build runs and re-pins the key in Nix's wiring (hostKeySwitch.ts). The panel shows each
 * stage from the status, whichever door started the switch, and when /etc holds the wiring it
 * offers the admin step that re-pins it there.
 */
import type { HostKeyInfo, HostKeySwitchProgress, ProfileName } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useDoor } from '../components/doorContext.js';
import { useRequest } from '../components/useRequest.js';

const STAGE_WORDS: Record<HostKeySwitchProgress['stage'], string> = {
  building: 'Building on the builder…',
  'waiting-for-builds': 'Waiting for builds…',
  restarting: 'Restarting the builder…',
  're-pinning': 'Pinning the new key…',
  done: 'Done',
  'needs-admin': 'Nix still pins the old key',
  failed: 'Failed',
};

const UNDER_WAY = new Set<HostKeySwitchProgress['stage']>(['building', 'waiting-for-builds', 'restarting', 're-pinning']);

function SwitchProgress({ progress }: { progress: HostKeySwitchProgress }) {
  return (
    <p className="host-key-switch" data-stage={progress.stage} role="status">
      <strong>{STAGE_WORDS[progress.stage]}</strong> {progress.message}
    </p>
  );
}

/** The admin step that makes root's nix-daemon pin the new key, asked for, never sprung on the user. */
function AdminRePin() {
  const { door } = useDoor();
  const apply = useRequest<{ summary: string }>('Could not apply the Nix wiring');
  if (apply.reply) return <p>{apply.reply.summary}</p>;
  return (
    <>
      <button type="button" disabled={apply.busy} aria-busy={apply.busy} onClick={() => apply.run(() => door.api.applyNixWiring({}))}>
        {apply.busy ? 'Applying…' : 'Apply the Nix wiring again (administrator)'}
      </button>
      {apply.error ? <ErrorNote error={apply.error} /> : null}
    </>
  );
}

function OwnHostKeyAction({ progress }: { progress: HostKeySwitchProgress | null }) {
  const { door } = useDoor();
  const make = useRequest<unknown>('Could not make the builder\'s own host key');
  const underWay = make.busy || (progress !== null && UNDER_WAY.has(progress.stage));
  return (
    <div className="own-host-key" aria-live="polite">
      {progress ? <SwitchProgress progress={progress} /> : null}
      {progress?.stage === 'needs-admin' ? <AdminRePin /> : null}
      {progress?.stage === 'done' || progress?.stage === 'needs-admin' ? null : (
        <>
          <button type="button" disabled={underWay} aria-busy={underWay} onClick={() => make.run(() => door.api.makeOwnHostKey({}))}>
            {underWay ? STAGE_WORDS[progress?.stage ?? 'building'] : 'Make its own host key'}
          </button>
          <p className="muted">
            Builds the builder image again with a key made for this install, on the running builder (the Nix wiring must be applied), restarts the builder into it once no build runs, and pins the new key in Nix&apos;s wiring. The key never enters the Nix store.
          </p>
        </>
      )}
      {make.error ? <ErrorNote error={make.error} /> : null}
    </div>
  );
}

export function HostKeyPanel({ hostKey, profile, progress = null }: { hostKey: HostKeyInfo | null; profile?: ProfileName | undefined; progress?: HostKeySwitchProgress | null }) {
  if (!hostKey) {
    // While the switch restarts the builder there is no key to show, but the switch goes on.
    if (!progress || !UNDER_WAY.has(progress.stage)) return null;
    return (
      <section className="panel" aria-labelledby="hostkey-title">
        <h2 id="hostkey-title">Host key</h2>
        <SwitchProgress progress={progress} />
      </section>
    );
  }
  return (
    <section className="panel" aria-labelledby="hostkey-title">
      <h2 id="hostkey-title">Host key</h2>
      <div className="mono selectable" title={hostKey.publicKey}>
        {hostKey.fingerprint}
      </div>
      {hostKey.weakness ? (
        <div className="warning" role="note">
          <strong>Weak:</strong> {hostKey.weakness}
        </div>
      ) : (
        <p className="muted">Generated for this install and pinned: no other machine has it.</p>
      )}
      {hostKey.weakness && profile === 'darwin-linux-builder' ? <OwnHostKeyAction progress={progress} /> : null}
      {!hostKey.weakness && progress && progress.stage !== 'failed' ? <SwitchProgress progress={progress} /> : null}
      {!hostKey.weakness && progress?.stage === 'needs-admin' ? <AdminRePin /> : null}
    </section>
  );
}

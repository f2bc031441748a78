/**
 * The guest's pinned host key, and why trusting it is weak when it is nixpkgs' public one. For the
 * Mac builder on that key, "Make its own host key" builds the image again with a key made for
 * this install, on the builder itself (through the Nix wiring); the builder switches at its next
 * start, and the panel says what the switch takes.
 */
import { useState } from 'react';
import type { ErrorInfo, HostKeyInfo, ProfileName } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { inBackground } from '../components/background.js';
import { useDoor } from '../components/doorContext.js';

function OwnHostKeyAction() {
  const { door } = useDoor();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const build = async (): Promise<void> => {
    setError(null);
    setBusy(true);
    const reply = await door.api.makeOwnHostKey({});
    setBusy(false);
    if (reply.ok) setDone(`Its own host key image is ready. ${reply.value.next}`);
    else setError(reply.error);
  };
  return (
    <div className="own-host-key" aria-live="polite">
      {done ? (
        <p>{done}</p>
      ) : (
        <>
          <button type="button" disabled={busy} onClick={() => inBackground('Could not build the own host key image', build, setError)}>
            {busy ? 'Building on the builder…' : 'Make its own host key'}
          </button>
          <p className="muted">Builds the builder image again with a key made for this install, on the running builder (the Nix wiring must be applied). The key never enters the Nix store.</p>
        </>
      )}
      {error ? <ErrorNote error={error} /> : null}
    </div>
  );
}

export function HostKeyPanel({ hostKey, profile }: { hostKey: HostKeyInfo | null; profile?: ProfileName | undefined }) {
  if (!hostKey) return null;
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
      {hostKey.weakness && profile === 'darwin-linux-builder' ? <OwnHostKeyAction /> : null}
    </section>
  );
}

/** The guest's pinned host key, and why trusting it is weak when it is nixpkgs' public one. */
import type { HostKeyInfo } from '../api/contract.js';

export function HostKeyPanel({ hostKey }: { hostKey: HostKeyInfo | null }) {
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
    </section>
  );
}

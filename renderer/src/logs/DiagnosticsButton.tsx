/**
 * "Save diagnostics": one click writes the bundle (logs, settings without secrets, status,
 * versions, the Nix wiring) into the log folder, as Podman Desktop's troubleshooting page does,
 * and says where it went.
 */
import { useState } from 'react';
import type { ErrorInfo } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { inBackground } from '../components/background.js';
import { useDoor } from '../components/doorContext.js';

export function DiagnosticsButton() {
  const { door } = useDoor();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const save = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const reply = await door.api.createDiagnostics({});
      if (reply.ok) setSaved(reply.value.path);
      else setError(reply.error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="diagnostics">
      <button type="button" disabled={busy} aria-busy={busy} onClick={() => inBackground('Could not save diagnostics', save, setError)}>
        {busy ? 'Saving…' : 'Save diagnostics'}
      </button>
      {saved ? (
        <span className="muted small mono" aria-label="Diagnostics saved">
          {saved}
        </span>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
    </span>
  );
}

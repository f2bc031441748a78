/**
 * "Save diagnostics": one click writes the bundle (logs, settings without secrets, status,
 * versions, the Nix wiring) into the log folder, as Podman Desktop's troubleshooting page does,
 * and says where it went.
 */
import { ErrorNote } from '../components/ErrorNote.js';
import { useDoor } from '../components/doorContext.js';
import { useRequest } from '../components/useRequest.js';

export function DiagnosticsButton() {
  const { door } = useDoor();
  const save = useRequest<{ path: string }>('Could not save diagnostics');
  const { busy, error } = save;
  const saved = save.reply?.path ?? null;
  return (
    <span className="diagnostics">
      <button type="button" disabled={busy} aria-busy={busy} onClick={() => save.run(() => door.api.createDiagnostics({}))}>
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

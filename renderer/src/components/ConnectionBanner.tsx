/**
 * Says plainly when the window has lost the core, so nobody trusts stale numbers. Electron's
 * IPC never shows it; the headless door shows it while reconnecting.
 */
import { useState } from 'react';
import { useMirror } from './doorContext.js';
import { useNow } from './useNow.js';

/** A first connection on loopback takes milliseconds; a banner for it would only flash. */
const QUIET_FIRST_CONNECT_MS = 1_000;

export function ConnectionBanner() {
  const connection = useMirror((mirror) => mirror.connection);
  const now = useNow(500);
  const [mountedAt] = useState(() => Date.now());
  if (connection.state === 'open') return null;
  if (connection.state === 'connecting' && !connection.problem && now - mountedAt < QUIET_FIRST_CONNECT_MS) return null;
  if (connection.problem) {
    return (
      <div className="banner banner-bad" role="alert">
        {connection.problem}
      </div>
    );
  }
  if (connection.state === 'connecting') {
    return (
      <div className="banner" role="alert">
        Connecting to Builder Bar…
      </div>
    );
  }
  if (connection.state === 'closed') {
    return (
      <div className="banner banner-bad" role="alert">
        Disconnected from Builder Bar. Reload the window to connect again.
      </div>
    );
  }
  const wait =
    connection.nextAttemptAt !== null ? Math.max(0, Math.ceil((connection.nextAttemptAt - now) / 1000)) : null;
  return (
    <div className="banner banner-bad" role="alert">
      Disconnected from Builder Bar — reconnecting
      {wait !== null && wait > 0 ? ` (next try in ${wait}s)` : '…'}
      {connection.attempt >= 3 ? (
        <div className="hint">
          If Builder Bar was restarted, open the new address it printed: the token changes every run.
        </div>
      ) : null}
    </div>
  );
}

/**
 * Start / Stop / Force stop / Restart, enabled by state. While one is in flight all four wait:
 * the core runs one operation at a time, and a second click would only be refused as busy.
 */
import { useState } from 'react';
import type { Envelope, ErrorInfo, Status, VmState } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { inBackground } from '../components/background.js';
import { useDoor } from '../components/doorContext.js';
import { availableActions } from '../format/format.js';

type ActionName = 'start' | 'stop' | 'forceStop' | 'restart';

export function Actions({ state }: { state: VmState | null }) {
  const { door } = useDoor();
  const [inFlight, setInFlight] = useState<ActionName | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const allowed = state ? availableActions(state) : { start: false, stop: false, forceStop: false, restart: false };

  const run = async (action: ActionName, call: () => Promise<Envelope<Status>>): Promise<void> => {
    setInFlight(action);
    setError(null);
    try {
      const reply = await call();
      if (!reply.ok) setError(reply.error);
    } finally {
      setInFlight(null);
    }
  };

  const button = (action: ActionName, label: string, call: () => Promise<Envelope<Status>>, className = '') => (
    <button
      type="button"
      className={className}
      disabled={!allowed[action] || inFlight !== null}
      aria-busy={inFlight === action}
      onClick={() => inBackground(`Could not ${label.toLowerCase()} the builder`, () => run(action, call), setError)}
    >
      {label}
    </button>
  );

  return (
    <section className="actions" aria-label="Builder actions">
      <div className="button-row">
        {button('start', 'Start', () => door.api.startBuilder({}), 'primary')}
        {button('stop', 'Stop', () => door.api.stopBuilder({}))}
        {button('forceStop', 'Force stop', () => door.api.stopBuilder({ force: true }), 'danger')}
        {button('restart', 'Restart', () => door.api.restartBuilder({}))}
      </div>
      {error ? <ErrorNote error={error} /> : null}
    </section>
  );
}

/**
 * Start / Stop / Force stop / Restart, enabled by state. While one is in flight all four wait:
 * the core runs one operation at a time, and a second click would only be refused as busy.
 */
import type { Envelope, Status, VmState } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useDoor } from '../components/doorContext.js';
import { useRequest } from '../components/useRequest.js';
import { availableActions } from '../format/format.js';

type ActionName = 'start' | 'stop' | 'forceStop' | 'restart';

export function Actions({ state }: { state: VmState | null }) {
  const { door } = useDoor();
  const request = useRequest<Status>('Could not change the builder\'s state');
  const allowed = state ? availableActions(state) : { start: false, stop: false, forceStop: false, restart: false };

  const button = (action: ActionName, label: string, call: () => Promise<Envelope<Status>>, className = '') => (
    <button
      type="button"
      className={className}
      disabled={!allowed[action] || request.busy}
      aria-busy={request.busyKey === action}
      onClick={() => request.run(call, { key: action })}
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
      {request.error ? <ErrorNote error={request.error} /> : null}
    </section>
  );
}

/** What the guest reports about itself: uptime, load, memory and disk use. */
import type { GuestStats } from '../api/contract.js';
import { formatBytes, formatDuration, usageFraction } from '../format/format.js';

function UsageBar({ label, used, total }: { label: string; used: number; total: number }) {
  const fraction = usageFraction(used, total);
  const percent = Math.round(fraction * 100);
  return (
    <div className="usage">
      <div className="usage-label">
        <span>{label}</span>
        <span className="muted">
          {formatBytes(used)} of {formatBytes(total)}
        </span>
      </div>
      <div
        className={`bar${fraction > 0.9 ? ' bar-full' : ''}`}
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}% used`}
      >
        <div className="bar-fill" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

export function Resources({ guest }: { guest: GuestStats | null }) {
  return (
    <section className="panel" aria-labelledby="resources-title">
      <h2 id="resources-title">Resources</h2>
      {guest ? (
        <>
          <dl className="facts">
            <div>
              <dt>Uptime</dt>
              <dd>{formatDuration(guest.uptimeSeconds)}</dd>
            </div>
            <div>
              <dt>Load</dt>
              <dd>{guest.load.map((value) => value.toFixed(2)).join('  ')}</dd>
            </div>
          </dl>
          <UsageBar label="Memory" used={guest.memory.usedBytes} total={guest.memory.totalBytes} />
          <UsageBar label={`Disk (${guest.disk.mount})`} used={guest.disk.usedBytes} total={guest.disk.totalBytes} />
        </>
      ) : (
        <p className="muted">Shown while the builder is ready.</p>
      )}
    </section>
  );
}

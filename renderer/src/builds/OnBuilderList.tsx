/**
 * Builds running on the builder that Builder Bar did not start: a `nix build` from another Mac
 * account, darwin-rebuild through root's daemon without json-log-path, anyone using the wiring.
 * The core sees them in the builder's process list (externalBuilds.ts); they show here so the
 * queue says everything that keeps the builder busy, not only what went through Builder Bar.
 */
import type { ExternalBuild } from '../api/contract.js';
import { formatDuration } from '../format/format.js';

export function OnBuilderList({ builds, now }: { builds: readonly ExternalBuild[]; now: number }) {
  if (builds.length === 0) return null;
  return (
    <div className="on-builder">
      <h3 className="small">Also building on the builder</h3>
      <ul className="builds" aria-label="Builds on the builder not started by Builder Bar">
        {builds.map((build) => (
          <li key={`${build.name}:${build.pids.join(',')}`} className="build-row">
            <span className="mono selectable" title={build.directory}>{build.name}</span>{' '}
            <span className="muted small">
              seen for {formatDuration(Math.max(0, Math.round((now - build.firstSeenAt) / 1000)))}, pid {build.pids.join(', ')}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

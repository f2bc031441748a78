/**
 * One build in the queue: state, target, progress, duration, why it failed, Cancel while it
 * runs; its derivations fold out, and clicking one shows that derivation's log.
 */
import { useState } from 'react';
import type { BuildView } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useDoor } from '../components/doorContext.js';
import { useRequest } from '../components/useRequest.js';
import { isActiveBuild } from '../state/buildsMirror.js';
import { buildDuration, buildSourceMark, buildStateTones, buildStateWords, derivationStateWords, describeProgress, describeTarget } from './buildWords.js';
import { DerivationLog } from './DerivationLog.js';

type Derivation = BuildView['derivations'][number];

function DerivationItem({ build, derivation, now }: { build: BuildView; derivation: Derivation; now: number }) {
  const [open, setOpen] = useState(false);
  const live = isActiveBuild(build);
  return (
    <li className={`derivation derivation-${derivation.state}`}>
      <button
        type="button"
        className="derivation-line"
        aria-expanded={open}
        title={derivation.drvPath}
        onClick={() => setOpen(!open)}
      >
        <span className="derivation-name mono">{derivation.name}</span>
        <span className="derivation-state">
          {derivationStateWords[derivation.state]}
          {derivation.state === 'building' && derivation.phase ? ` · ${derivation.phase}` : ''}
        </span>
        <span className="derivation-machine mono" aria-label="Machine" title={derivation.machine}>
          {derivation.machine}
        </span>
        <span className="derivation-time muted">{buildDuration(derivation.startedAt, derivation.endedAt, now)}</span>
      </button>
      {derivation.reason ? <div className="derivation-reason">{derivation.reason}</div> : null}
      {open ? <DerivationLog buildId={build.id} drvPath={derivation.drvPath} name={derivation.name} live={live} /> : null}
    </li>
  );
}

export function BuildRow({ build, now }: { build: BuildView; now: number }) {
  const { door } = useDoor();
  const [expanded, setExpanded] = useState(false);
  const notShown = build.derivationsNotShown ?? 0;
  const cancel = useRequest<unknown>('Could not cancel the build');
  const active = isActiveBuild(build);
  const target = describeTarget(build.target);
  const source = buildSourceMark(build);

  return (
    <li className="build" aria-label={`Build ${target}`}>
      <div className="build-line">
        <span className={`dot dot-${buildStateTones[build.state]}`} aria-hidden="true" />
        <span className="build-state" aria-label="Build state">
          {buildStateWords[build.state]}
        </span>
        <span className="build-target mono selectable" title={target}>
          {target}
        </span>
        <span className={`build-source small${source.external ? ' build-source-external' : ''}`} aria-label="Source" title={source.title}>
          {source.label}
        </span>
        {/* Only Builder Bar's own builds can be cancelled here; an external one stops where it runs. */}
        {active && !source.external ? (
          <button type="button" className="danger small-button" disabled={cancel.busy} aria-busy={cancel.busy} onClick={() => cancel.run(() => door.api.cancelBuild({ id: build.id }))}>
            Cancel
          </button>
        ) : null}
      </div>
      <div className="build-facts muted small">
        <span aria-label="Progress">{describeProgress(build.progress)}</span>
        <span aria-label="Duration">{buildDuration(build.createdAt, build.endedAt, now)}</span>
        {build.exitCode !== null && build.exitCode !== 0 ? <span>exit code {build.exitCode}</span> : null}
        {build.signal ? <span>signal {build.signal}</span> : null}
      </div>
      {build.error ? <div className="build-error">{build.error}</div> : null}
      {cancel.error ? <ErrorNote error={cancel.error} /> : null}
      {build.derivations.length > 0 ? (
        <>
          <button type="button" className="disclosure" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
            {expanded ? '▾' : '▸'} Derivations ({(build.derivations.length + notShown).toLocaleString()})
          </button>
          {expanded ? (
            <ul className="derivations" aria-label="Derivations">
              {build.derivations.map((derivation) => (
                <DerivationItem key={derivation.drvPath} build={build} derivation={derivation} now={now} />
              ))}
              {notShown > 0 ? (
                // A build of tens of thousands: the core sends the ones being built, failed or
                // waiting first and the latest done (core/builds/shownDerivations.ts).
                <li className="muted small" aria-label="Derivations not shown">
                  and {notShown.toLocaleString()} more, done or waiting, not listed (the progress above counts them)
                </li>
              ) : null}
            </ul>
          ) : null}
        </>
      ) : null}
      {build.outputPaths.length > 0 && expanded ? (
        <div className="outputs mono selectable small">
          {build.outputPaths.map((output) => (
            <div key={output}>{output}</div>
          ))}
        </div>
      ) : null}
    </li>
  );
}

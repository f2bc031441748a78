/**
 * The build queue: a form to start a build, then every build the core keeps, those under way
 * first, then what others build on the builder. The header counts the builds running, as the
 * menu-bar title does.
 */
import { useMirror } from '../components/doorContext.js';
import { useNow } from '../components/useNow.js';
import { runningBuildCount } from '../state/buildsMirror.js';
import { BuildForm } from './BuildForm.js';
import { BuildRow } from './BuildRow.js';
import { OnBuilderList } from './OnBuilderList.js';

/** Enough to see what happened lately; the core keeps 200. */
const SHOWN_BUILDS = 50;

export function BuildsPanel() {
  const builds = useMirror((mirror) => mirror.builds);
  const onBuilder = useMirror((mirror) => mirror.onBuilder);
  const now = useNow();
  const running = runningBuildCount(builds);
  return (
    <section className="panel" aria-labelledby="builds-title">
      <div className="panel-title">
        <h2 id="builds-title">Builds</h2>
        <span className="muted small" aria-label="Builds running">
          {running === 0 ? 'none running' : `${running} running`}
        </span>
      </div>
      <BuildForm />
      {builds.length === 0 ? (
        <p className="muted">No builds yet.</p>
      ) : (
        <ul className="builds" aria-label="Build queue">
          {builds.slice(0, SHOWN_BUILDS).map((build) => (
            <BuildRow key={build.id} build={build} now={now} />
          ))}
        </ul>
      )}
      <OnBuilderList builds={onBuilder} now={now} />
    </section>
  );
}

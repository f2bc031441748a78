/**
 * The Baselines panel of the Dashboard: for every tracked git repository, which commit each
 * branch's incremental build will reuse the full build of (FACTS.md section 3), whether that
 * full build exists, and a Prebuild action; and a form to track another repository. The data
 * is the mirror's copy of the core's `baselines` event, so the panel moves by itself when a
 * ref moves or a boundary rolls over.
 *
 * A panel of the Dashboard rather than a window of its own: the Dashboard is where Podman
 * Desktop and Rancher Desktop users look for everything the app owns, and the tray's
 * Baselines submenu opens the Dashboard.
 */
import { useState } from 'react';
import type { BaselinesList, Envelope } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useRequest } from '../components/useRequest.js';
import { useDoor, useMirror } from '../components/doorContext.js';
import { RepoBaselinesView } from './RepoBaselinesView.js';
import { RepoForm } from './RepoForm.js';
import { checkAddDraft, emptyRepoDraft } from './repoDraft.js';
import './baselines.css';

export function BaselinesPanel() {
  const { door } = useDoor();
  const repos = useMirror((mirror) => mirror.baselines);
  // The list updates from the core's `baselines` event; the reply only tells success or why not.
  const request = useRequest<BaselinesList>('The baselines request failed');
  const [adding, setAdding] = useState(false);
  const run = (call: () => Promise<Envelope<BaselinesList>>): void => request.run(call);

  return (
    <section className="panel" aria-labelledby="baselines-title">
      <div className="panel-title">
        <h2 id="baselines-title">Baselines</h2>
        <button type="button" className="small-button" aria-expanded={adding} onClick={() => setAdding(!adding)}>
          {adding ? 'Close' : 'Add repository…'}
        </button>
      </div>
      {adding ? (
        <RepoForm
          mode="add"
          initial={emptyRepoDraft}
          submit={(draft) => {
            const check = checkAddDraft(draft, true);
            return check.ok ? door.api.trackRepo({ repo: check.repo }) : null;
          }}
          done={() => setAdding(false)}
        />
      ) : null}
      {repos === null ? (
        <p className="muted">Loading…</p>
      ) : repos.length === 0 ? (
        <p className="muted">
          No tracked repositories. Add a git work tree to see, for each branch, which commit its incremental build reuses the full build of.
        </p>
      ) : (
        repos.map((entry) => <RepoBaselinesView key={entry.repo.id} entry={entry} busy={request.busy} run={run} />)
      )}
      {request.error ? <ErrorNote error={request.error} /> : null}
    </section>
  );
}

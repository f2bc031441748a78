/**
 * One tracked repository: its state (ok, missing, error, with the core's message), the shallow
 * warning, its settings (edited in place) and Remove; then its branches grouped under the
 * baseline whose one full build serves them. The list is virtualized (react-virtuoso), so a
 * repository with thousands of branches renders only the rows in view; a name filter narrows it.
 */
import { useMemo, useState } from 'react';
import { GroupedVirtuoso } from 'react-virtuoso';
import type { BaselinesList, Envelope, RepoBaselines } from '../api/contract.js';
import { useDoor } from '../components/doorContext.js';
import { BranchRow } from './BranchRow.js';
import { RepoForm } from './RepoForm.js';
import { groupBranches, intervalWords, prebuildWords, servesWords, shortSha, timeSourceWords } from './baselineView.js';
import { checkEditDraft, draftFromRepo } from './repoDraft.js';
import { noBranchesWords } from '../../../electron/ipc/describeNoBranches.js';

/** Below this the list is as tall as its rows; above, it scrolls inside this height. */
const MAX_LIST_HEIGHT = 520;
/** A first guess until Virtuoso has measured the rows (a row is about 4 lines). */
const ESTIMATED_ROW_HEIGHT = 76;
const ESTIMATED_GROUP_HEIGHT = 28;
/** A filter box appears once a repository has more branches than fit the eye at once. */
const FILTER_FROM_BRANCHES = 12;

const stateTone: Record<RepoBaselines['state'], 'good' | 'busy' | 'bad'> = { ok: 'good', computing: 'busy', missing: 'bad', error: 'bad' };
const stateWord: Record<RepoBaselines['state'], string> = { ok: 'OK', computing: 'Computing…', missing: 'Missing', error: 'Error' };

export function RepoBaselinesView(props: { entry: RepoBaselines; busy: boolean; run(call: () => Promise<Envelope<BaselinesList>>): void }) {
  const { entry, busy, run } = props;
  const { door } = useDoor();
  const { repo } = entry;
  const [editing, setEditing] = useState(false);
  const [filter, setFilter] = useState('');
  const groups = useMemo(() => groupBranches(entry, filter), [entry, filter]);
  const rows = useMemo(() => groups.flatMap((group) => group.branches), [groups]);
  const estimated = Math.min(MAX_LIST_HEIGHT, rows.length * ESTIMATED_ROW_HEIGHT + groups.length * ESTIMATED_GROUP_HEIGHT);
  const [measured, setMeasured] = useState<number | null>(null);
  const listHeight = Math.min(MAX_LIST_HEIGHT, measured ?? estimated);
  const prebuild = (branch: string): void => run(() => door.api.prebuildBaseline({ repoId: repo.id, branch }));

  return (
    <section className="baseline-repo" aria-label={`Repository ${repo.id}`}>
      <div className="build-line">
        <span className={`dot dot-${stateTone[entry.state]}`} aria-hidden="true" />
        <strong>{repo.id}</strong>
        <span aria-label="Repository state">{stateWord[entry.state]}</span>
        <span className="mono small build-target" title={repo.path}>
          {repo.path}
        </span>
        <button type="button" className="small-button" aria-expanded={editing} onClick={() => setEditing(!editing)}>
          {editing ? 'Close' : 'Settings…'}
        </button>
        <button type="button" className="small-button danger" disabled={busy} onClick={() => run(() => door.api.untrackRepo({ id: repo.id }))}>
          Remove
        </button>
      </div>
      <div className="build-facts small muted">
        <span>{intervalWords(repo.intervalSeconds)}</span>
        <span>time from the {timeSourceWords[repo.timeSource]}</span>
        <span>{repo.branchPattern === null ? 'every local branch' : `branches matching ${repo.branchPattern}`}</span>
        <span>
          {entry.branches.length} {entry.branches.length === 1 ? 'branch' : 'branches'}, {entry.groups.length}{' '}
          {entry.groups.length === 1 ? 'full build' : 'full builds'}
        </span>
      </div>
      {entry.state === 'computing' && entry.message ? (
        <p className="muted small" role="status">
          {entry.message}
        </p>
      ) : entry.state !== 'ok' && entry.message ? (
        <div className="build-error" role="alert">
          {entry.message}
        </div>
      ) : null}
      {entry.shallow ? (
        <div className="baseline-warning small">
          This is a shallow clone: commits before its cut-off are missing, so a baseline may be the oldest commit fetched rather than the
          true one. Run `git fetch --unshallow` in it.
        </div>
      ) : null}
      {editing ? (
        <RepoForm
          mode="edit"
          initial={draftFromRepo(repo)}
          submit={(draft) => {
            const check = checkEditDraft(draft);
            return check.ok ? door.api.updateTrackedRepo({ id: repo.id, patch: check.patch }) : null;
          }}
          done={() => setEditing(false)}
        />
      ) : null}
      {entry.branches.length >= FILTER_FROM_BRANCHES ? (
        <div className="baseline-filter">
          <input
            type="search"
            aria-label={`Filter branches of ${repo.id}`}
            placeholder="Filter branches"
            spellCheck={false}
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
          />
          <span className="small muted">
            {rows.length} of {entry.branches.length}
          </span>
        </div>
      ) : null}
      {rows.length > 0 ? (
        <div className="baseline-list">
          <GroupedVirtuoso
            style={{ height: listHeight }}
            groupCounts={groups.map((group) => group.branches.length)}
            totalListHeightChanged={(height) => setMeasured(Math.ceil(height))}
            computeItemKey={(index) => rows[index]?.branch ?? index}
            groupContent={(index) => {
              const group = groups[index]!;
              const words = prebuildWords(group.prebuild.state);
              return (
                <div className="baseline-group" role="heading" aria-level={3}>
                  <span className="mono">{shortSha(group.baseline.sha)}</span>
                  <span className="baseline-group-subject">{group.baseline.subject}</span>
                  <span className="spacer" />
                  <span>
                    {words.mark} {servesWords(group.total)}
                  </span>
                </div>
              );
            }}
            itemContent={(index) => {
              const branch = rows[index];
              return branch ? <BranchRow branch={branch} busy={busy} onPrebuild={prebuild} /> : null;
            }}
          />
        </div>
      ) : entry.state === 'ok' ? (
        <p className="muted small" role="status">
          {entry.branches.length === 0 ? noBranchesWords(repo.branchPattern) : 'No branch name contains that text.'}
        </p>
      ) : null}
    </section>
  );
}

/**
 * One branch of a tracked repository: its tip, its baseline (sha, subject, committer date), the
 * boundary in UTC and local time, a countdown to the next rollover, how far the branch has
 * moved since, its badges and warnings, who shares its full build, and the prebuild state with
 * a Prebuild button. Every string from git is a React text node.
 */
import type { BranchBaseline } from '../api/contract.js';
import { useNow } from '../components/useNow.js';
import {
  branchBadges,
  countdownText,
  formatLocal,
  formatUtc,
  isoUtc,
  prebuildWords,
  sharedWithWords,
  shortSha,
} from './baselineView.js';

/** Its own component so only this text re-renders each second, not the row or the list. */
function Countdown({ nextRollover }: { nextRollover: number }) {
  const now = useNow(1000);
  return (
    <time aria-label="Next rollover" dateTime={isoUtc(nextRollover)} title={formatUtc(nextRollover)}>
      {countdownText(nextRollover, now)}
    </time>
  );
}

export function BranchRow(props: { branch: BranchBaseline; busy: boolean; onPrebuild(branch: string): void }) {
  const { branch, busy, onPrebuild } = props;
  const prebuild = prebuildWords(branch.prebuild.state);
  const { baseline } = branch;
  return (
    <article className="baseline-branch" aria-label={`Branch ${branch.branch}`}>
      <div className="build-line">
        <span className={`dot dot-${prebuild.tone}`} aria-hidden="true" />
        <strong className="baseline-branch-name" title={branch.branch}>
          {branch.branch}
        </strong>
        {branchBadges(branch).map((badge) => (
          <span key={badge.label} className={`baseline-badge baseline-badge-${badge.tone}`} title={badge.why}>
            {badge.label}
          </span>
        ))}
        <span className="spacer" />
        <span aria-label="Prebuild state" className="small">
          {prebuild.mark} {prebuild.word}
        </span>
        {branch.prebuild.state === 'built' ? null : (
          <button
            type="button"
            className="small-button"
            disabled={busy || !prebuild.canPrebuild}
            onClick={() => onPrebuild(branch.branch)}
          >
            Prebuild
          </button>
        )}
      </div>
      <div className="build-facts small">
        <span>
          tip{' '}
          <span className="mono" aria-label="Tip" title={branch.tip}>
            {shortSha(branch.tip)}
          </span>
        </span>
        <span className="baseline-commit">
          baseline{' '}
          <span className="mono" aria-label="Baseline" title={baseline.sha}>
            {shortSha(baseline.sha)}
          </span>{' '}
          <span aria-label="Baseline subject">{baseline.subject}</span>
        </span>
        <span className="muted">
          committed{' '}
          <time dateTime={isoUtc(baseline.commitTime)} title={formatLocal(baseline.commitTime)}>
            {formatUtc(baseline.commitTime)}
          </time>
        </span>
      </div>
      <div className="build-facts small">
        <span>
          boundary{' '}
          <time aria-label="Boundary" dateTime={isoUtc(branch.boundary)}>
            {formatUtc(branch.boundary)}
          </time>
          <span className="muted"> · {formatLocal(branch.boundary)}</span>
        </span>
        <span>
          next rollover in <Countdown nextRollover={branch.nextRollover} />
        </span>
        <span aria-label="Since baseline">
          {branch.commitsSince} {branch.commitsSince === 1 ? 'commit' : 'commits'}, {branch.filesChanged}{' '}
          {branch.filesChanged === 1 ? 'file' : 'files'} since
        </span>
      </div>
      {branch.sharedWith.length > 0 ? (
        <div className="build-facts small muted">
          <span aria-label="Shared with">shares its full build with {sharedWithWords(branch.sharedWith, branch.sharedCount)}</span>
        </div>
      ) : null}
      {branch.warnings.map((warning) => (
        <div key={warning} className="baseline-warning small">
          {warning}
        </div>
      ))}
      {branch.prebuild.outPath ? (
        <div className="outputs mono small selectable" aria-label="Full build output">
          {branch.prebuild.outPath}
        </div>
      ) : null}
      {branch.prebuild.message ? <div className={prebuild.tone === 'bad' ? 'build-error small' : 'muted small outputs'}>{branch.prebuild.message}</div> : null}
    </article>
  );
}

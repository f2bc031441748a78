/**
 * The engine's answer for one repository, put together from what the walks found and what git
 * told about baselines: per branch its baseline, counts and the branches sharing it, and the
 * groups of branches by baseline (branches that share one baseline share one full build).
 */
import type { BaselineCommit, BaselineTimeSource, BranchBaseline } from '../../ipc/baselinesContract.js';
import { baselineWarnings } from './baselineWarnings.js';
import type { CommitDetails } from './commitDetails.js';
import type { TrackedTip } from './repoRefs.js';

export type ComputedBranchBaseline = Omit<BranchBaseline, 'prebuild'>;

export interface ComputedRepoBaselines {
  state: 'ok' | 'missing' | 'error';
  message: string | null;
  shallow: boolean;
  computedAt: number;
  branches: ComputedBranchBaseline[];
  groups: { baseline: string; branches: string[] }[];
}

/** What the walk found for one tip and one boundary; reused while neither moves. */
export interface WalkAnswer {
  tip: string;
  boundary: number;
  baseline: string;
  rootFallback: boolean;
  offFirstParent: boolean;
  crossedShallowBoundary: boolean;
  commitsSince: number;
}

export interface ResultParts {
  tips: readonly TrackedTip[];
  /** One per tip, in the same order. */
  answers: readonly WalkAnswer[];
  query: { intervalSeconds: number; timeSource: BaselineTimeSource; now: number };
  /** Committer time of a tip or baseline. */
  timeOf: (sha: string) => number;
  detailsOf: (sha: string) => CommitDetails | undefined;
  filesChangedOf: (answer: WalkAnswer) => number;
  shallow: boolean;
}

/**
 * The most names a branch's `sharedWith` carries; `groups` names every branch of each baseline.
 * Every name in every list grows with the square of the branches: 10,000 branches on one commit
 * made 10^8 names, gigabytes, a reply no string could hold, so the core answered no one.
 */
export const MAX_SHARED_WITH = 100;

function othersIn(group: readonly string[], self: string): string[] {
  const others: string[] = [];
  for (const name of group) {
    if (others.length === MAX_SHARED_WITH) break;
    if (name !== self) others.push(name);
  }
  return others;
}

export function assembleResult({ tips, answers, query, timeOf, detailsOf, filesChangedOf, shallow }: ResultParts): ComputedRepoBaselines {
  const groups = new Map<string, string[]>();
  tips.forEach((tracked, i) => {
    const baseline = (answers[i] as WalkAnswer).baseline;
    groups.set(baseline, [...(groups.get(baseline) ?? []), tracked.branch]);
  });
  const branches = tips.map((tracked, i): ComputedBranchBaseline => {
    const answer = answers[i] as WalkAnswer;
    const tipCommitTime = timeOf(tracked.tip);
    const time = query.timeSource === 'tip-commit' ? tipCommitTime : query.now;
    const details = detailsOf(answer.baseline) ?? { subject: '', authorTime: 0 };
    const baseline: BaselineCommit = { sha: answer.baseline, subject: details.subject, commitTime: timeOf(answer.baseline), authorTime: details.authorTime };
    return {
      branch: tracked.branch,
      detached: tracked.detached,
      tip: tracked.tip,
      tipCommitTime,
      time,
      boundary: answer.boundary,
      nextRollover: answer.boundary + query.intervalSeconds,
      baseline,
      rootFallback: answer.rootFallback,
      offFirstParent: answer.offFirstParent,
      commitsSince: answer.commitsSince,
      filesChanged: filesChangedOf(answer),
      sharedWith: othersIn(groups.get(answer.baseline) ?? [], tracked.branch),
      sharedCount: (groups.get(answer.baseline)?.length ?? 1) - 1,
      warnings: baselineWarnings(answer),
    };
  });
  return {
    state: 'ok',
    message: null,
    shallow,
    computedAt: query.now,
    branches,
    groups: [...groups].map(([baseline, names]) => ({ baseline, branches: names })),
  };
}

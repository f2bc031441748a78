/**
 * The sentences a branch's baseline carries for the user (FACTS.md section 3: edge cases are
 * shown, not hidden). Each says what happened, what it costs, and what to do when there is
 * something to do.
 */
export interface WarningFacts {
  boundary: number;
  baseline: string;
  rootFallback: boolean;
  offFirstParent: boolean;
  crossedShallowBoundary: boolean;
}

export function baselineWarnings(facts: WarningFacts): string[] {
  const warnings: string[] = [];
  const short = facts.baseline.slice(0, 12);
  const boundary = new Date(facts.boundary * 1000).toISOString().replace('.000Z', 'Z');
  if (facts.crossedShallowBoundary) {
    warnings.push(
      'This clone is shallow and the search for the baseline reached its shallow boundary: the history before it is missing, so a full clone may choose an older baseline. Run "git fetch --unshallow" to fetch the whole history.',
    );
  }
  if (facts.rootFallback) {
    warnings.push(
      `No commit of this branch is dated at or before the boundary ${boundary}, so the baseline falls back to the root commit ${short}: its full build shares little with the branch, and the incremental build will rebuild almost everything.`,
    );
  }
  if (facts.offFirstParent) {
    warnings.push(
      `The baseline ${short} is not on this branch's first-parent line: it was reached through a side branch merged later, because its committer date is the newest at or before the boundary. A rebased or merged side branch moves the baseline this way; the incremental build starts from a commit this branch's own line never had.`,
    );
  }
  return warnings;
}

/**
 * Why a tracked repository shows no branch and what to do, in the same words in
 * `builder-bar baselines` and the Baselines place (which said only "No local branches to show",
 * for an empty repository and a pattern that matches nothing alike).
 */
export function noBranchesWords(branchPattern: string | null): string {
  if (branchPattern !== null) return `No branch matches ${JSON.stringify(branchPattern)}. Change the branch pattern, or create a branch it matches.`;
  return 'No branches yet: the repository has no commits on a local branch. Commit, or check out a branch.';
}

/** The incremental-baseline engine (FACTS.md section 3): what the core and the CLI use. */
export { assertGitWorkTree } from './assertGitWorkTree.js';
export { boundaryFor } from './boundary.js';
export { BRANCH_PATTERN_HINT, branchPatternProblem } from './branchPattern.js';
export { RepoBaselineEngine, type BaselineQuery, type ComputedBranchBaseline, type ComputedRepoBaselines } from './repoBaselineEngine.js';

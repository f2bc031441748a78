/**
 * Contract-valid baselines for the renderer's unit tests: one repository whose branches share
 * or differ in baselines as a test asks. Real shapes (checked against the contract's schema in
 * `baselineView.test.ts`), so a test cannot drift from what the core sends.
 */
import type { BranchBaseline, RepoBaselines, TrackedRepo } from '../api/contract.js';

/** 2024-01-10T00:00:00Z: a UTC midnight, so a daily boundary lands on it exactly. */
export const SAMPLE_BOUNDARY = 1_704_844_800;

export function sampleBranch(overrides: Partial<BranchBaseline> & { branch: string }): BranchBaseline {
  return {
    detached: false,
    tip: 'f'.repeat(40),
    tipCommitTime: SAMPLE_BOUNDARY + 3_600,
    time: SAMPLE_BOUNDARY + 7_200,
    boundary: SAMPLE_BOUNDARY,
    nextRollover: SAMPLE_BOUNDARY + 86_400,
    baseline: { sha: 'a'.repeat(40), subject: 'Release 1.0', commitTime: SAMPLE_BOUNDARY - 60, authorTime: SAMPLE_BOUNDARY - 120 },
    rootFallback: false,
    offFirstParent: false,
    commitsSince: 2,
    filesChanged: 3,
    sharedWith: [],
    sharedCount: 0,
    warnings: [],
    prebuild: { state: 'none', buildId: null, outPath: null, message: null },
    ...overrides,
  };
}

export function sampleRepo(options: { id: string; baselineSha?: string; branches?: BranchBaseline[]; repo?: Partial<TrackedRepo> }): RepoBaselines {
  const sha = options.baselineSha ?? 'a'.repeat(40);
  const branches = options.branches ?? [
    sampleBranch({ branch: 'main', baseline: { sha, subject: 'Release 1.0', commitTime: SAMPLE_BOUNDARY - 60, authorTime: SAMPLE_BOUNDARY - 60 } }),
  ];
  const groups = new Map<string, string[]>();
  for (const branch of branches) groups.set(branch.baseline.sha, [...(groups.get(branch.baseline.sha) ?? []), branch.branch]);
  return {
    repo: {
      id: options.id,
      path: `/home/me/src/${options.id}`,
      intervalSeconds: 86_400,
      timeSource: 'wall-clock',
      branchPattern: null,
      fullBuild: ['nix-build', '-A', 'app', '--argstr', 'rev', '{rev}'],
      ...options.repo,
    },
    state: 'ok',
    message: null,
    shallow: false,
    computedAt: SAMPLE_BOUNDARY + 7_200,
    branches,
    groups: [...groups].map(([baseline, names]) => ({ baseline, branches: names })),
  };
}

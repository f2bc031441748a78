/**
 * The contract's part for incremental baselines (FACTS.md section 3): tracked repositories,
 * and for each branch the baseline commit whose full build its incremental build reuses.
 * Kept apart from `contract.ts` because it is one idea with many fields; `contract.ts`
 * imports it and names its requests and event.
 */
import { z } from 'zod';
import { fullBuildProblems } from './fullBuildArguments.js';
import { wholeNumber } from './wholeNumber.js';

const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a full commit id');
/** Seconds since the epoch (git's committer dates are whole seconds). */
const EpochSeconds = z.number().int();

export const BaselineTimeSourceSchema = z.enum([
  /** T is the wall clock when the baseline is computed. */
  'wall-clock',
  /** T is the committer time of the branch tip (the `rev` case of FACTS.md section 3). */
  'tip-commit',
]);
export type BaselineTimeSource = z.infer<typeof BaselineTimeSourceSchema>;

export const TrackedRepoIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes');

/**
 * The full-build command, as an argument array. `{rev}`, `{repo}` and `{branch}` inside an
 * argument are replaced by the baseline's sha, the work tree path and the branch name
 * (`{repoUrl}`: the work tree as a percent-encoded `git+file://` URL, for flake references); a
 * replacement never splits or joins arguments and no shell ever sees them. The first argument
 * is the program: `nix-build`, or `nix` followed by `build` (the build queue runs it and reads its
 * internal-json); the rest may use only the options a full build needs (`fullBuildArguments.ts`
 * says which and why), so the command cannot turn into running code.
 */
export const FullBuildCommandSchema = z
  .array(z.string().max(4096).refine((arg) => !arg.includes('\0'), 'no NUL characters'))
  .min(1)
  .max(64)
  .refine((argv) => argv[0] === 'nix-build' || (argv[0] === 'nix' && argv[1] === 'build'), 'the command starts with nix-build or nix build')
  .superRefine((argv, ctx) => {
    for (const problem of fullBuildProblems(argv)) ctx.addIssue({ code: 'custom', message: problem.message, path: [problem.index] });
  });
export type FullBuildCommand = z.infer<typeof FullBuildCommandSchema>;

export const TrackedRepoSchema = z
  .object({
    id: TrackedRepoIdSchema,
    /** Absolute path of the git work tree. */
    path: z.string().min(1).max(4096).startsWith('/', 'an absolute path').refine((p) => !p.includes('\0'), 'no NUL characters'),
    /** Boundary interval in seconds; 86400 is UTC midnight, 604800 a week (boundaries fall on Thursdays). */
    intervalSeconds: wholeNumber(60, 'at least 60 seconds', 366 * 86400, 'at most a year'),
    timeSource: BaselineTimeSourceSchema,
    /** A `git for-each-ref` pattern under refs/heads (e.g. `release/*`), or null for every local branch. */
    branchPattern: z.string().min(1).max(200).refine((p) => !p.startsWith('-'), 'a pattern must not start with "-"').nullable(),
    fullBuild: FullBuildCommandSchema,
  })
  .strict();
export type TrackedRepo = z.infer<typeof TrackedRepoSchema>;

export const BaselineCommitSchema = z.object({
  sha: Sha,
  subject: z.string(),
  /** Committer date: the date the algorithm compares with the boundary. */
  commitTime: EpochSeconds,
  authorTime: EpochSeconds,
});
export type BaselineCommit = z.infer<typeof BaselineCommitSchema>;

export const PrebuildStateSchema = z.object({
  state: z.enum(['none', 'queued', 'building', 'built', 'failed', 'gone']),
  /** The build in the queue that made (or is making) it. */
  buildId: z.string().nullable(),
  /** The full build's output path once built; `gone` when it is no longer in the store. */
  outPath: z.string().nullable(),
  message: z.string().nullable(),
});
export type PrebuildState = z.infer<typeof PrebuildStateSchema>;

export const BranchBaselineSchema = z.object({
  /** The branch name as git has it (data: may contain `$`, `;`, quotes…); `HEAD` for a detached HEAD. */
  branch: z.string(),
  detached: z.boolean(),
  tip: Sha,
  tipCommitTime: EpochSeconds,
  /** T of FACTS.md: wall clock or the tip's committer time. */
  time: EpochSeconds,
  /** B = floor(T / interval) * interval. */
  boundary: EpochSeconds,
  /** When the next boundary falls (B + interval); for `tip-commit`, it moves only with a new tip. */
  nextRollover: EpochSeconds,
  baseline: BaselineCommitSchema,
  /** No commit at or before B: the baseline is a root commit. */
  rootFallback: z.boolean(),
  /** The baseline is reached only through a merged side branch, not the tip's first-parent line. */
  offFirstParent: z.boolean(),
  /** Commits in baseline..tip, and files changed between them. */
  commitsSince: z.number().int().nonnegative(),
  filesChanged: z.number().int().nonnegative(),
  /**
   * Other branches of this repository with the same baseline (one full build serves them all):
   * at most 100 named (baselineResult.ts says why), `sharedCount` of them in all. The count comes
   * with the answer so every door says the same number without working it out from `groups`.
   */
  sharedWith: z.array(z.string()).max(100),
  sharedCount: z.number().int().nonnegative(),
  /** Sentences for the user: shallow history, off the first-parent line, root fallback… */
  warnings: z.array(z.string()),
  prebuild: PrebuildStateSchema,
});
export type BranchBaseline = z.infer<typeof BranchBaselineSchema>;

export const RepoBaselinesSchema = z.object({
  repo: TrackedRepoSchema,
  /**
   * `computing` until the first computation after the core starts ends (it reads the whole
   * history once: a second or two for 100k commits, while the rest of the app is already up);
   * `missing` when the path is gone; `error` when git failed on it.
   */
  state: z.enum(['ok', 'computing', 'missing', 'error']),
  /** What is wrong and what to do, or what is under way, when state is not ok. */
  message: z.string().nullable(),
  shallow: z.boolean(),
  /** Seconds since the epoch of the last computation. */
  computedAt: EpochSeconds,
  branches: z.array(BranchBaselineSchema),
  /** Branches grouped by baseline sha: one full build per group. */
  groups: z.array(z.object({ baseline: Sha, branches: z.array(z.string()) })),
});
export type RepoBaselines = z.infer<typeof RepoBaselinesSchema>;

export const BaselinesListSchema = z.object({ repos: z.array(RepoBaselinesSchema) });
export type BaselinesList = z.infer<typeof BaselinesListSchema>;

/** Adding a repository: only the path is required; the rest has defaults. */
export const AddTrackedRepoSchema = z
  .object({
    path: TrackedRepoSchema.shape.path,
    id: TrackedRepoIdSchema.optional(),
    intervalSeconds: TrackedRepoSchema.shape.intervalSeconds.optional(),
    timeSource: BaselineTimeSourceSchema.optional(),
    branchPattern: TrackedRepoSchema.shape.branchPattern.optional(),
    fullBuild: FullBuildCommandSchema.optional(),
  })
  .strict();
export type AddTrackedRepo = z.infer<typeof AddTrackedRepoSchema>;

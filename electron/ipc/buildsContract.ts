/**
 * Builds: what the queue shows, what a build target is, its log. Part of the contract (contract.ts re-exports it).
 */
import { z } from 'zod';

/** Nothing a client names may start with `-`: Nix would read it as an option. */
/**
 * What to build. A file is built with `nix-build FILE [-A ATTR]`, an installable with
 * `nix build INSTALLABLE`; both always with `--log-format internal-json`. No free-form extra
 * arguments cross a door: they could carry `--option builders …` or `--store …`.
 */
export const BuildTargetSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('file'),
    file: z.string().min(1).max(4096).startsWith('/', 'an absolute path to a .nix file'),
    attr: z.string().max(512).regex(/^[A-Za-z0-9_.'"+-]*$/, 'an attribute path such as packages.x86_64-linux.hello').refine((v) => !v.startsWith('-'), 'an attribute must not start with "-"').optional(),
  }).strict(),
  z.object({
    kind: z.literal('installable'),
    installable: z.string().min(1).max(4096).refine((v) => !v.startsWith('-'), 'an installable must not start with "-"'),
  }).strict(),
]);
export type BuildTarget = z.infer<typeof BuildTargetSchema>;

/**
 * What a build in the queue was started for: a client's target, or the full build of an
 * incremental baseline that the core started itself from a tracked repository's command
 * (never accepted from a client: `builds.start` takes only `BuildTargetSchema`).
 */
export const BuildTargetViewSchema = z.discriminatedUnion('kind', [
  ...BuildTargetSchema.options,
  z.object({
    kind: z.literal('baseline'),
    repoId: z.string(),
    branch: z.string(),
    rev: z.string(),
    /** The full-build command with its placeholders replaced, as run (one argument per item). */
    argv: z.array(z.string()),
  }).strict(),
]);
export type BuildTargetView = z.infer<typeof BuildTargetViewSchema>;

/** A build some other Nix process ran (a terminal `nix-build`, darwin-rebuild, direnv), seen through json-log-path. */
export const ExternalTargetSchema = z.object({
  kind: z.literal('external'),
  /** What it built, in words ("hello and 2 more"). */
  description: z.string(),
}).strict();

/** What a build in the queue shows it was for: external builds are never kept in the history. */
export const QueueTargetSchema = z.discriminatedUnion('kind', [...BuildTargetViewSchema.options, ExternalTargetSchema]);
export type QueueTarget = z.infer<typeof QueueTargetSchema>;

export const DerivationStateSchema = z.enum(['waiting', 'building', 'copying', 'done', 'failed', 'cancelled']);

export const BuildDerivationSchema = z.object({
  drvPath: z.string(),
  name: z.string(),
  state: DerivationStateSchema,
  /** The builder's machine URI, or `local`. */
  machine: z.string(),
  /** The build phase Nix reported last (`buildPhase`, `installPhase`…), while it builds. */
  phase: z.string().nullable().default(null),
  reason: z.string().nullable(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
});

export const BuildProgressSchema = z.object({ done: z.number(), expected: z.number(), running: z.number(), failed: z.number() });

export const BuildSourceSchema = z.enum(['builder-bar', 'external']);
export type BuildSource = z.infer<typeof BuildSourceSchema>;

/**
 * Whether the queue sees builds started outside Builder Bar (Nix's json-log-path, Nix >= 2.30),
 * and if not, why; with the socket's counts (malformed records are skipped and counted here).
 */
export const ExternalFeedSchema = z.object({
  state: z.enum(['listening', 'nix-too-old', 'no-nix', 'unavailable']),
  /** In words: what the queue sees, and what to do to see more. */
  message: z.string(),
  socketPath: z.string(),
  connections: z.number(),
  records: z.number(),
  /** Lines that were not a JSON log record (truncated or malformed): skipped. */
  malformed: z.number(),
  /** Lines past the size bound: dropped. */
  oversized: z.number(),
  /** A file Nix wrote at the socket's path while no socket was there, moved aside. */
  movedAside: z.string().nullable(),
});
export type ExternalFeed = z.infer<typeof ExternalFeedSchema>;

/** A finished build as it is kept (the last 200 across restarts). */
export const BuildSummarySchema = z.object({
  id: z.string(),
  target: BuildTargetViewSchema,
  state: z.enum(['succeeded', 'failed', 'cancelled']),
  createdAt: z.number(),
  endedAt: z.number(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  /** Why it failed, in words. */
  error: z.string().nullable(),
  derivations: z.array(BuildDerivationSchema),
  /**
   * Derivations of this build left out of `derivations` (done or waiting ones of a build of more
   * than 500: core/builds/shownDerivations.ts); `progress` counts them all. Absent: none.
   */
  derivationsNotShown: z.number().int().nonnegative().optional(),
  progress: BuildProgressSchema,
  outputPaths: z.array(z.string()),
  /**
   * Who started it: Builder Bar (its CLI, dashboard or a prebuild) or any other Nix process on
   * this machine, seen through json-log-path. Absent in builds kept before it existed: builder-bar.
   */
  source: BuildSourceSchema.optional(),
});
export type BuildSummary = z.infer<typeof BuildSummarySchema>;

/** A build as every door shows it: one still running, or one from the history. */
export const BuildViewSchema = BuildSummarySchema.extend({
  state: z.enum(['waiting-for-builder', 'running', 'succeeded', 'failed', 'cancelled']),
  endedAt: z.number().nullable(),
  target: QueueTargetSchema,
});
export type BuildView = z.infer<typeof BuildViewSchema>;

/** A build running on the builder that Builder Bar did not start, seen from the guest's processes. */
export const ExternalBuildSchema = z.object({
  name: z.string(),
  directory: z.string(),
  pids: z.array(z.number().int()),
  /** Milliseconds since the epoch when Builder Bar first saw it. */
  firstSeenAt: z.number(),
});
export type ExternalBuild = z.infer<typeof ExternalBuildSchema>;

/**
 * The contract between Builder Bar's core and its three doors (Electron IPC, the headless
 * WebSocket, the CLI socket). Every request and event is named here once, with a zod schema;
 * TypeScript types are inferred from the schemas. Doors validate every input against this
 * file before the core sees it, and the renderer imports only its types.
 *
 * Shape borrowed in spirit from Rancher Desktop's backend contract (a small state enum and
 * events) and Podman Desktop's preload (one named operation each, errors as an envelope).
 */
import { z } from 'zod';
import { apiMethods, eventNames, type ApiMethodName } from './names.js';
import { AddTrackedRepoSchema, BaselinesListSchema, TrackedRepoIdSchema, TrackedRepoSchema } from './baselinesContract.js';

export { apiMethods, eventNames, ipcChannels, isEventName, type ApiMethodName } from './names.js';
export * from './baselinesContract.js';

// ---------------------------------------------------------------------------------------------
// Shared values
// ---------------------------------------------------------------------------------------------

/** The builder VM's lifecycle, as DESIGN.md draws it. Only the supervisor moves it. */
export const VmStateSchema = z.enum(['stopped', 'starting', 'ready', 'stopping', 'error']);
export type VmState = z.infer<typeof VmStateSchema>;

/** `linux-test` is the project's own small guest; `darwin-linux-builder` is nixpkgs' image. */
export const ProfileNameSchema = z.enum(['linux-test', 'darwin-linux-builder']);
export type ProfileName = z.infer<typeof ProfileNameSchema>;

export const AcceleratorSchema = z.object({
  name: z.enum(['kvm', 'hvf', 'tcg']),
  /** Why this accelerator was chosen, in words (e.g. "kvm probe timed out after 5 s"). */
  reason: z.string(),
});
export type Accelerator = z.infer<typeof AcceleratorSchema>;

/** The hub's fixed streams; `nix-wiring` holds what plan/apply/remove/verify did, file by file. */
export const FixedLogSourceSchema = z.enum(['app', 'vm-console', 'qemu', 'ssh', 'nix-wiring']);
export type FixedLogSource = z.infer<typeof FixedLogSourceSchema>;

/** A build's id as it may appear in a log source: it names a file, so no path characters. */
export const BUILD_LOG_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** One stream per build: Nix's messages and its derivations' log lines. */
export const BuildLogSourceSchema = z
  .templateLiteral(['build:', z.string()])
  .refine((source) => BUILD_LOG_ID.test(source.slice('build:'.length)), 'a build log source is build:<id>, the id made of letters, digits, - and _');
export type BuildLogSource = `build:${string}`;

/** Every log source: a fixed stream, or `build:<id>`. */
export const LogSourceSchema = z.union([FixedLogSourceSchema, BuildLogSourceSchema]);
export type LogSource = FixedLogSource | BuildLogSource;

export const LogLevelSchema = z.enum(['debug', 'info', 'warn', 'error']);
export type LogLevel = z.infer<typeof LogLevelSchema>;

export const LogLineSchema = z.object({
  /** Monotonic per hub, so a client can tell what it has already seen. */
  seq: z.number().int().nonnegative(),
  /** Milliseconds since the epoch. */
  time: z.number(),
  source: LogSourceSchema,
  level: LogLevelSchema,
  text: z.string(),
});
export type LogLine = z.infer<typeof LogLineSchema>;

export const LogFileSchema = z.object({
  source: LogSourceSchema,
  path: z.string(),
  sizeBytes: z.number().int().nonnegative(),
});
export type LogFile = z.infer<typeof LogFileSchema>;

export const GuestStatsSchema = z.object({
  uptimeSeconds: z.number().nonnegative(),
  load: z.tuple([z.number(), z.number(), z.number()]),
  memory: z.object({ totalBytes: z.number(), usedBytes: z.number() }),
  disk: z.object({ totalBytes: z.number(), usedBytes: z.number(), mount: z.string() }),
  /** Milliseconds since the epoch. */
  sampledAt: z.number(),
  /**
   * The guest's clock minus the host's at this sample, in ms, before any correction (the host
   * sets a clock more than 0.25 s off where the profile can: vm/snapshot/guestClock.ts); null when
   * the guest's time could not be read.
   */
  clockOffsetMs: z.number().nullable().optional(),
});
export type GuestStats = z.infer<typeof GuestStatsSchema>;

export const VmErrorSchema = z.object({
  message: z.string(),
  /** What the user can do about it, when we know. */
  hint: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  /** The last lines of the serial console and QEMU's stderr when it happened. */
  consoleTail: z.array(z.string()),
  /** Milliseconds since the epoch. */
  at: z.number(),
});
export type VmError = z.infer<typeof VmErrorSchema>;

export const RestartInfoSchema = z.object({
  /** Automatic restarts since the last time the builder was ready for a while. */
  attempts: z.number().int().nonnegative(),
  /** When the next automatic restart happens (ms since epoch), or null if none is scheduled. */
  nextAt: z.number().nullable(),
  /** True once the supervisor stopped retrying; the user must start it again. */
  gaveUp: z.boolean(),
});
export type RestartInfo = z.infer<typeof RestartInfoSchema>;

export const HostKeyInfoSchema = z.object({
  /** `SHA256:...` as OpenSSH prints it. */
  fingerprint: z.string(),
  /** The OpenSSH public-key line (`ssh-ed25519 AAAA...`). */
  publicKey: z.string(),
  /** Null when the key is this install's own; otherwise why trusting it is weak. */
  weakness: z.string().nullable(),
});
export type HostKeyInfo = z.infer<typeof HostKeyInfoSchema>;

export const HostKeySwitchStageSchema = z.enum(['building', 'waiting-for-builds', 'restarting', 're-pinning', 'done', 'needs-admin', 'failed']);
export type HostKeySwitchStage = z.infer<typeof HostKeySwitchStageSchema>;

/** Where "Make its own host key" stands (hostKeySwitch.ts): the stage, in words, and since when. */
export const HostKeySwitchProgressSchema = z.object({
  stage: HostKeySwitchStageSchema,
  message: z.string(),
  since: z.number(),
});
export type HostKeySwitchProgress = z.infer<typeof HostKeySwitchProgressSchema>;

/** The on-demand builder as the core sees it (vm/onDemandBuilder.ts). */
export const OnDemandStatusSchema = z.object({
  /** ssh sessions Nix (or anyone using the wiring's alias) holds through `builder-bar proxy`. */
  connections: z.number().int().nonnegative(),
  /** Builds the core itself runs. */
  builds: z.number().int().nonnegative(),
  /** When an idle ready builder will be stopped (ms since the epoch), or null when it will not. */
  idleStopsAt: z.number().nullable(),
});
export type OnDemandStatus = z.infer<typeof OnDemandStatusSchema>;

export const StatusSchema = z.object({
  state: VmStateSchema,
  profile: ProfileNameSchema,
  /** Milliseconds since the epoch at which `state` was entered. */
  since: z.number(),
  /** What the supervisor is doing right now, in words ("booting", "waiting for ssh", ...). */
  detail: z.string(),
  accelerator: AcceleratorSchema.nullable(),
  pid: z.number().int().nullable(),
  sshPort: z.number().int().nullable(),
  hostKey: HostKeyInfoSchema.nullable(),
  error: VmErrorSchema.nullable(),
  restart: RestartInfoSchema,
  guest: GuestStatsSchema.nullable(),
  /** True when this core found the VM already running and took it over. */
  adopted: z.boolean(),
  /**
   * The last switch to the builder's own host key in this core's run, or null: set by the core
   * (the supervisor knows nothing of it), so every door shows the same progress.
   */
  hostKeySwitch: HostKeySwitchProgressSchema.nullable(),
  /** Present when the onDemand setting is on (added by the core, not the supervisor). */
  onDemand: OnDemandStatusSchema.optional(),
});
export type Status = z.infer<typeof StatusSchema>;

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

export const SETTINGS_VERSION = 6;

/**
 * The memory all log rings together may hold, whatever `logs.ringLines` says: 25 streams of a
 * million lines would be gigabytes. 256 MiB still lets one stream hold a million lines of up to
 * about 150 characters (the Logs window's cap and its benchmark).
 */
export const LOG_RING_BUDGET_MIB = 256;

export const RestartPolicySchema = z.object({
  /** Restart the builder after an exit nobody asked for. */
  enabled: z.boolean(),
  /** Ceiling on automatic restarts in any 60 s window (backoff keeps it lower). */
  maxPerMinute: z.number().int().min(1).max(6),
  /** Consecutive failed restarts after which the supervisor gives up visibly. */
  giveUpAfter: z.number().int().min(1).max(50),
});

/** A name Nix and ssh can both carry: it becomes the ssh alias `builder-bar-<id>`. */
const BuilderIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'use 1-31 lower-case letters, digits and dashes, starting with a letter or digit');

/**
 * A remote Linux builder the user adds beside the VM. Nix itself spreads builds across every
 * machine in the machines entry; Builder Bar only checks each one's health and wires it. A
 * machines line cannot carry a port (Nix issues 1994, 724), so each gets its own ssh alias.
 */
export const RemoteBuilderSchema = z
  .object({
    id: BuilderIdSchema,
    protocol: z.enum(['ssh', 'ssh-ng']),
    user: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/, 'a user name of letters, digits, dot, dash or underscore, starting with a letter, digit or underscore'),
    host: z
      .string()
      .max(253, 'a host name of at most 253 characters')
      .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$|^\d{1,3}(?:\.\d{1,3}){3}$/, 'a host name or an IPv4 address'),
    port: z.number().int().min(1).max(65535),
    systems: z
      .array(z.string().regex(/^[a-z0-9_]+-[a-z0-9]+$/, 'a Nix system such as x86_64-linux'))
      .min(1, 'at least one system, e.g. x86_64-linux')
      .max(8),
    maxJobs: z.number().int().min(1).max(256),
    speedFactor: z.number().int().min(1).max(100),
    supportedFeatures: z.array(z.string().regex(/^[a-z0-9-]{1,40}$/, 'a feature name such as big-parallel')).max(16),
    /**
     * Absolute path of the private key ssh uses for this builder. It is written into the
     * machines line and the ssh config, which split on whitespace and lines: no whitespace or
     * control characters (and, being absolute, it never starts with "-").
     */
    sshKey: z
      .string()
      .max(1024, 'a path of at most 1024 characters')
      .startsWith('/', 'an absolute path')
      .refine((key) => !/[\s\p{Cc}\u2028\u2029]/u.test(key), 'no spaces, line breaks or control characters in the path'),
    /** The builder's host public key line (`ssh-ed25519 AAAA...`), pinned; `ssh-keyscan -t ed25519 HOST` prints it. One line: its comment holds no control characters. */
    hostKey: z
      .string()
      .max(8192)
      .regex(/^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/=]+( [^\p{Cc}\u2028\u2029]*)?$/u, 'an OpenSSH public key line, e.g. from ssh-keyscan -t ed25519 HOST'),
  })
  .strict();
export type RemoteBuilder = z.infer<typeof RemoteBuilderSchema>;

export const RemoteBuilderHealthSchema = z.object({
  id: BuilderIdSchema,
  state: z.enum(['unknown', 'checking', 'ok', 'unreachable', 'auth-failed', 'host-key-mismatch', 'no-nix']),
  /** What the last check found, in words, with what to do when it failed. */
  message: z.string(),
  nixVersion: z.string().nullable(),
  latencyMs: z.number().nullable(),
  /** Milliseconds since the epoch of the last finished check, or null before the first. */
  checkedAt: z.number().nullable(),
});
export type RemoteBuilderHealth = z.infer<typeof RemoteBuilderHealthSchema>;

/** Every remote builder with its last health check, in the order the user added them. */
export const RemoteBuilderListSchema = z.object({
  builders: z.array(z.object({ builder: RemoteBuilderSchema, health: RemoteBuilderHealthSchema })),
});
export type RemoteBuilderList = z.infer<typeof RemoteBuilderListSchema>;

/**
 * An absolute directory path: never a relative one (it would depend on where the core started),
 * never one that reads as an option, no whitespace or control characters (it is shown in one line
 * and passed to execa as a path).
 */
export const NixBinDirSchema = z
  .string()
  .max(1024, 'a path of at most 1024 characters')
  .refine((dir) => !dir.startsWith('-'), 'a path, not an option (it must not start with "-")')
  .refine((dir) => dir.startsWith('/'), 'an absolute path (starting with /), e.g. /nix/var/nix/profiles/default/bin')
  .refine((dir) => !/[\s\p{Cc}\u2028\u2029]/u.test(dir), 'no spaces, line breaks or control characters in the path');

/**
 * The nixpkgs the Mac builder comes from: one revision and the NAR hash of its source tree (as a
 * flake.lock records them), so the builder never moves with a channel. The image is realised
 * once per pin and kept with a GC root; it changes only when this does.
 */
export const NixpkgsPinSchema = z
  .object({
    rev: z.string().regex(/^[0-9a-f]{40}$/, 'a full nixpkgs commit: 40 lower-case hex digits'),
    narHash: z.string().regex(/^sha256-[A-Za-z0-9+/]{43}=$/, 'an SRI hash such as sha256-…= (the narHash of a flake.lock entry)'),
  })
  .strict();
export type NixpkgsPin = z.infer<typeof NixpkgsPinSchema>;

/** A nixpkgs branch as git allows it, and never one that reads as an option. */
export const NixpkgsBranchSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'a nixpkgs branch such as nixpkgs-unstable or nixos-25.05');

/** What "Update builder image" would do, before it fetches anything of the builder. */
export const BuilderImagePlanSchema = z.object({
  branch: z.string(),
  current: NixpkgsPinSchema,
  next: NixpkgsPinSchema,
  upToDate: z.boolean(),
  /** What Nix says realising `next` fetches and builds. */
  cost: z.string(),
});
export type BuilderImagePlan = z.infer<typeof BuilderImagePlanSchema>;

/** An absolute path to a file (never relative, so never read as an option; no NUL). Spaces are fine: it goes to execa as one argument. */
export const AbsoluteFileSchema = z.string().min(2).max(4096).startsWith('/', 'an absolute path (starting with /)').refine((file) => !file.includes('\0'), 'no NUL characters');

/** A disk nixpkgs' builder left before Builder Bar (`~/nixos.qcow2`, nix-darwin's), offered for import. */
export const UpstreamDiskSchema = z.object({
  path: z.string(),
  /** Who leaves a disk there, in words. */
  origin: z.string(),
  sizeBytes: z.number(),
  modified: z.string(),
  readable: z.boolean(),
});
export type UpstreamDisk = z.infer<typeof UpstreamDiskSchema>;

export const SettingsSchema = z.object({
  version: z.literal(SETTINGS_VERSION),
  profile: ProfileNameSchema,
  cpus: z.number().int().min(1, 'at least 1 core').max(64, 'at most 64 cores'),
  memoryMiB: z.number().int().min(512, 'at least 512 MiB').max(262144, 'at most 256 GiB'),
  diskGiB: z.number().int().min(2, 'at least 2 GiB').max(4096, 'at most 4 TiB'),
  /** Host TCP port forwarded to the guest's ssh, bound to 127.0.0.1 only. */
  hostPort: z.number().int().min(1024, 'ports below 1024 need root').max(65535),
  /** When true and `hostPort` is taken, use the next free port instead of failing. */
  hostPortAuto: z.boolean(),
  startOnLaunch: z.boolean(),
  /**
   * The builder stays stopped until Nix connects: the wiring's ssh alias runs `builder-bar proxy`
   * (a ProxyCommand), which asks the core to start it. Apply the wiring again after changing it.
   */
  onDemand: z.boolean(),
  /** With `onDemand`: stop the builder after this many minutes with no build and no ssh session. */
  idleStopMinutes: z.number().int().min(1, 'at least 1 minute').max(1440, 'at most 1440 minutes (a day)'),
  /**
   * Open the Mac app when the user logs in (a macOS login item, registered by the Electron shell;
   * `serve` keeps the setting and has no login item of its own). Off until the user turns it on.
   */
  openAtLogin: z.boolean(),
  restartPolicy: RestartPolicySchema,
  logs: z.object({
    /**
     * Lines kept in memory per log source. All sources together (five fixed ones and the last
     * 20 builds) are also held to LOG_RING_BUDGET_MIB: past it, the oldest lines of the largest
     * source go first. The files on disk keep everything either way.
     */
    ringLines: z
      .number()
      .int()
      .min(100, 'at least 100 lines per source')
      .max(1_000_000, `at most 1,000,000 lines per source (all sources together keep at most ${LOG_RING_BUDGET_MIB} MiB of lines in memory; the log files keep everything)`),
  }),
  remoteBuilders: z
    .array(RemoteBuilderSchema)
    .max(32)
    .refine((list) => new Set(list.map((b) => b.id)).size === list.length, 'each remote builder needs its own id'),
  /** Git repositories whose branches' incremental baselines Builder Bar computes and prebuilds. */
  trackedRepos: z
    .array(TrackedRepoSchema)
    .max(64)
    .refine((list) => new Set(list.map((r) => r.id)).size === list.length, 'each tracked repository needs its own id'),
  /**
   * The directory of the Nix to run (`nix`, `nix-build`, `nix-store`, `nix-daemon`), or null to
   * find it: BUILDER_BAR_NIX_BIN_DIR, then PATH, then Nix's profile directories. The core also
   * refuses a directory that holds no working Nix.
   */
  nixBinDir: NixBinDirSchema.nullable(),
  /** The nixpkgs revision the darwin-linux-builder profile's image comes from. */
  builderNixpkgs: NixpkgsPinSchema,
});
export type Settings = z.infer<typeof SettingsSchema>;

/** A partial update; nested objects may be partial too. */
/** Tracked repositories change through the `baselines.*` requests, which also watch them. */
export const SettingsPatchSchema = SettingsSchema.omit({ version: true, trackedRepos: true })
  .extend({
    restartPolicy: RestartPolicySchema.partial(),
    logs: SettingsSchema.shape.logs.partial(),
  })
  .partial()
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export const SettingsEffectsSchema = z.object({
  /** The running builder only picks the change up after a restart. */
  needsRestart: z.boolean(),
  /** The change only applies to a new disk (an existing disk is never silently kept). */
  needsNewDisk: z.boolean(),
  /** Sentences for the user, one per effect. */
  messages: z.array(z.string()),
});
export type SettingsEffects = z.infer<typeof SettingsEffectsSchema>;

// ---------------------------------------------------------------------------------------------
// Builds
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Nix wiring (electron/core/nix): detect, plan, apply, remove, verify
// ---------------------------------------------------------------------------------------------

/**
 * A directory the caller owns that Nix then reads through NIX_CONF_DIR (the Linux/test target).
 * Absolute, so it can never start with "-" and never depends on the core's working directory;
 * no whitespace, because Nix splits NIX_SSHOPTS and machines lines on it.
 */
export const ConfDirSchema = z
  .string()
  .max(1024)
  .startsWith('/', 'an absolute path (it cannot start with "-")')
  .refine((dir) => !/\s/.test(dir), 'no spaces: Nix splits NIX_SSHOPTS and machines lines on whitespace')
  .refine((dir) => !dir.includes('\0'), 'no NUL characters');

/** `{ confDir }` chooses the conf-dir target; without it, the system target (/etc/nix on a Mac). */
export const NixTargetInputSchema = z.object({ confDir: ConfDirSchema.optional() }).strict();

export const NixProblemSchema = z.object({
  code: z.enum(['nix-missing', 'config-unreadable', 'user-not-trusted', 'daemon-refuses-user', 'daemon-not-answering', 'determinate', 'other-builder', 'port-31022-taken', 'nix-darwin-linux-builder', 'nix-differs-from-daemon']),
  message: z.string(),
  /** How to fix it, or why it is fine, in words. */
  fix: z.string(),
  /** True when wiring cannot work until it is fixed. */
  blocking: z.boolean(),
});

export const NixDetectionSchema = z.object({
  found: z.boolean(),
  binary: z.string().nullable(),
  version: z.string().nullable(),
  mode: z.enum(['daemon', 'single-user']).nullable(),
  user: z.string(),
  trustedUsers: z.array(z.string()),
  /** Null when Nix could not be asked. */
  trusted: z.boolean().nullable(),
  determinate: z.boolean(),
  /** The effective `builders` setting. */
  builders: z.string().nullable(),
  machines: z.array(z.object({ uri: z.string(), host: z.string(), systems: z.array(z.string()), source: z.string() })),
  problems: z.array(NixProblemSchema),
});
export type NixDetectionView = z.infer<typeof NixDetectionSchema>;

export const WiringTargetViewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('system'), determinate: z.boolean() }),
  z.object({ kind: z.literal('confDir'), dir: z.string() }),
]);

/**
 * One file of a plan as a door may see it: its diff, never its new content. The client key's
 * diff only names the file (the private key never leaves the core).
 */
export const PlannedFileViewSchema = z.object({
  path: z.string(),
  role: z.enum(['nix.conf', 'machines', 'ssh_config', 'known_hosts', 'client-key', 'log-relay-job']),
  change: z.enum(['create', 'update', 'none']),
  /** The mode apply sets (an edited file keeps its own). */
  mode: z.number().int(),
  createdByUs: z.boolean(),
  secret: z.boolean(),
  /** A unified diff; empty when the file stays as it is. */
  diff: z.string(),
});

export const WiringPlanViewSchema = z.object({
  target: WiringTargetViewSchema,
  /** A human name for the target ("the config directory /x"). */
  targetDescription: z.string(),
  files: z.array(PlannedFileViewSchema),
  /** Any problem means apply refuses the plan and touches nothing. */
  problems: z.array(z.object({ path: z.string(), message: z.string(), lineNumber: z.number().int().nullable() })),
  /** `export NIX_CONF_DIR=...` lines that make Nix use a conf-dir target. */
  environment: z.array(z.string()),
  changes: z.boolean(),
  /** True when writing the target needs the macOS admin step. */
  needsAdmin: z.boolean(),
  summary: z.string(),
  /**
   * Set when a wiring file is a symbolic link (nix-darwin manages /etc/nix/nix.conf): the
   * nix-darwin configuration that does the same wiring, to paste instead. Null otherwise.
   */
  nixDarwinConfig: z.string().nullable(),
});
export type WiringPlanView = z.infer<typeof WiringPlanViewSchema>;

export const WiringApplyResultSchema = z.object({
  written: z.array(z.string()),
  unchanged: z.array(z.string()),
  environment: z.array(z.string()),
  summary: z.string(),
});
export type WiringApplyResult = z.infer<typeof WiringApplyResultSchema>;

export const WiringRemoveResultSchema = z.object({
  restored: z.array(z.string()),
  deleted: z.array(z.string()),
  /** Files edited after apply: only Builder Bar's block was taken out. */
  blockRemoved: z.array(z.string()),
  notes: z.array(z.string()),
});
export type WiringRemoveResult = z.infer<typeof WiringRemoveResultSchema>;

export const WiringVerifyResultSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    outPath: z.string(),
    /** `/proc/version` inside the build: "Linux version ..." of the guest. */
    guestKernel: z.string(),
    guestHostname: z.string(),
    hostHostname: z.string(),
    seconds: z.number(),
    message: z.string(),
  }),
  z.object({
    ok: z.literal(false),
    failure: z.object({
      cause: z.enum(['host-key-mismatch', 'user-not-trusted', 'daemon-not-restarted', 'daemon-refuses-user', 'daemon-not-answering', 'builder-not-ready', 'system-mismatch', 'unknown']),
      message: z.string(),
      fix: z.string(),
      /** The last lines of Nix's stderr, as Nix printed them. */
      stderrTail: z.array(z.string()),
    }),
    seconds: z.number(),
  }),
]);
export type WiringVerifyResult = z.infer<typeof WiringVerifyResultSchema>;

// ---------------------------------------------------------------------------------------------
// Requests: name -> input and output schemas
// ---------------------------------------------------------------------------------------------

const Empty = z.object({}).strict();

/**
 * Where a program Builder Bar runs was found: the app's own PATH, what the user's login shell
 * adds to it (an app started from Finder has only launchd's PATH), or Nix's profile directories.
 */
export const ToolOriginSchema = z.enum(['app-environment', 'login-shell', 'nix-profile']);
export type ToolOrigin = z.infer<typeof ToolOriginSchema>;

/** One program Builder Bar runs, and where it was found (null: nowhere on the search path). */
export const HostToolSchema = z.object({
  name: z.string(),
  path: z.string().nullable(),
  origin: ToolOriginSchema.nullable(),
});
export type HostTool = z.infer<typeof HostToolSchema>;

/** The search path every program is found through, and how the login shell answered. */
export const HostToolsSchema = z.object({
  loginShell: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), shell: z.string(), ms: z.number() }),
    z.object({ ok: z.literal(false), shell: z.string().nullable(), why: z.string() }),
  ]),
  tools: z.array(HostToolSchema),
});
export type HostTools = z.infer<typeof HostToolsSchema>;

/**
 * The Nix Builder Bar runs (detection, wiring, verify, builds, prebuilds): the `nixBinDir`
 * setting's, BUILDER_BAR_NIX_BIN_DIR's, or the first found on PATH or in Nix's profile
 * directories; or why there is none and what to do.
 */
export const NixInUseSchema = z.discriminatedUnion('found', [
  z.object({
    found: z.literal(true),
    binDir: z.string(),
    version: z.string(),
    determinate: z.boolean(),
    /** path: the app's own PATH; login-shell: the login shell's PATH; profile: Nix's profile directories. */
    chosenBy: z.enum(['setting', 'environment', 'path', 'login-shell', 'profile']),
    /** Programs the directory lacks (`nix-daemon` at most: nix, nix-build and nix-store are required). */
    missing: z.array(z.string()),
    /** Later directories on the search path that also hold a `nix`, which Builder Bar does not run. */
    shadowed: z.array(z.object({ binDir: z.string(), chosenBy: z.enum(['setting', 'environment', 'path', 'login-shell', 'profile']) })).optional(),
  }),
  z.object({ found: z.literal(false), reason: z.string(), hint: z.string() }),
]);
export type NixInUse = z.infer<typeof NixInUseSchema>;

export const AppInfoSchema = z.object({
  version: z.string(),
  platform: z.string(),
  stateDir: z.string(),
  logDir: z.string(),
  /** Which door this client came through. */
  door: z.enum(['electron', 'headless', 'cli']),
  nix: NixInUseSchema,
  /** Where each program Builder Bar runs was found. */
  hostTools: HostToolsSchema,
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const requests = {
  'app.info': { input: Empty, output: AppInfoSchema },
  'status.get': { input: Empty, output: StatusSchema },
  'vm.start': {
    input: z
      .object({
        /** Resolve only once the builder is ready (or failed). */
        wait: z.boolean().optional(),
        /** With `wait`: give up after this many seconds. */
        timeoutSeconds: z.number().positive().max(3600).optional(),
      })
      .strict(),
    output: StatusSchema,
  },
  'vm.stop': {
    input: z.object({ force: z.boolean().optional() }).strict(),
    output: StatusSchema,
  },
  'vm.restart': { input: Empty, output: StatusSchema },
  /** Where a nixpkgs branch is now and what moving the Mac builder's image there would fetch. */
  'builderImage.plan': { input: z.object({ branch: NixpkgsBranchSchema.optional() }).strict(), output: BuilderImagePlanSchema },
  /** Realises the image of the planned pin, then saves the pin; the builder uses it from its next start. */
  'builderImage.update': {
    input: z.object({ pin: NixpkgsPinSchema }).strict(),
    output: z.object({ pin: NixpkgsPinSchema, storePath: z.string(), realised: z.boolean() }),
  },
  /**
   * Builds the Mac builder's own-host-key image of the current pin on the running builder (through
   * Nix's wiring), restarts the builder into it once no build runs, and re-pins the new key in the
   * recorded wiring target (a config dir at once; for /etc, `next` asks for the admin step).
   * Progress is in the status (`hostKeySwitch`).
   */
  'builderImage.ownHostKey': {
    input: Empty,
    output: z.object({
      storePath: z.string(),
      realised: z.boolean(),
      /** True when the builder now runs with this install's key. */
      switched: z.boolean(),
      /** How Nix came to pin the new key: applied again to a config dir, or the admin step is the user's. */
      rePin: z.enum(['applied', 'needs-admin', 'no-wiring', 'not-started']),
      /** What is left for the user, or null. */
      next: z.string().nullable(),
    }),
  },
  /** Disks nixpkgs' builder left on this Mac, and whether the builder has its own disk yet. */
  'builderImage.upstreamDisks': {
    input: Empty,
    output: z.object({ disks: z.array(UpstreamDiskSchema), ownDisk: z.string(), ownDiskExists: z.boolean() }),
  },
  /** Copies one of those disks in as the builder's own (only before it has one, only while stopped). */
  'builderImage.importDisk': {
    input: z.object({ path: AbsoluteFileSchema }).strict(),
    output: z.object({ source: z.string(), target: z.string(), virtualSizeBytes: z.number() }),
  },
  'logs.tail': {
    input: z
      .object({
        source: LogSourceSchema.optional(),
        lines: z.number().int().min(1).max(100_000).optional(),
      })
      .strict(),
    output: z.object({ lines: z.array(LogLineSchema) }),
  },
  /** Each source's current log file and its size (sources without a file yet are left out). */
  'logs.files': { input: Empty, output: z.object({ logDir: z.string(), files: z.array(LogFileSchema) }) },
  /** Shows a source's log file in the platform's file manager; only files the hub owns. */
  'logs.reveal': { input: z.object({ source: LogSourceSchema }).strict(), output: z.object({ path: z.string() }) },
  'settings.get': { input: Empty, output: SettingsSchema },
  'settings.set': {
    input: z.object({ patch: SettingsPatchSchema }).strict(),
    output: z.object({ settings: SettingsSchema, effects: SettingsEffectsSchema }),
  },
  'builds.list': {
    input: Empty,
    output: z.object({
      builds: z.array(BuildViewSchema),
      external: z.array(ExternalBuildSchema),
      /** Absent from a core that predates it. */
      externalFeed: ExternalFeedSchema.optional(),
    }),
  },
  /** Starts a build; answers at once with its view (waiting for the builder, or running). */
  'builds.start': { input: z.object({ target: BuildTargetSchema }).strict(), output: BuildViewSchema },
  'builds.cancel': { input: z.object({ id: z.string().max(200) }).strict(), output: BuildViewSchema },
  /** One derivation's log lines, or Nix's own messages for the build when `drvPath` is omitted. */
  'builds.log': {
    input: z.object({ id: z.string().max(200), drvPath: z.string().max(4096).optional() }).strict(),
    output: z.object({ lines: z.array(z.string()), dropped: z.number().int().nonnegative() }),
  },
  'builders.list': { input: Empty, output: RemoteBuilderListSchema },
  'builders.add': {
    input: z.object({ builder: RemoteBuilderSchema }).strict(),
    output: RemoteBuilderListSchema,
  },
  'builders.remove': {
    input: z.object({ id: z.string().max(64) }).strict(),
    output: RemoteBuilderListSchema,
  },
  /** Checks one builder now, or all of them when `id` is omitted; answers after the checks. */
  'builders.check': {
    input: z.object({ id: z.string().max(64).optional() }).strict(),
    output: RemoteBuilderListSchema,
  },
  /** What Nix is here and what stands in the way; with `confDir`, as Nix sees that directory. */
  'nix.detect': { input: NixTargetInputSchema, output: NixDetectionSchema },
  /** The exact change to every file, writing nothing. */
  'nix.plan': { input: NixTargetInputSchema, output: WiringPlanViewSchema },
  /** Plans afresh and writes that plan; refused (wiring-refused) when it has problems. */
  'nix.apply': { input: NixTargetInputSchema, output: WiringApplyResultSchema },
  /** Restores every file apply touched; the target is the one recorded at apply. */
  'nix.remove': { input: Empty, output: WiringRemoveResultSchema },
  /** Starts the builder if needed, then proves with a real build that Nix uses it. */
  'nix.verify': { input: NixTargetInputSchema, output: WiringVerifyResultSchema },
  /**
   * Writes a diagnostics bundle (`builder-bar-diagnostics-<UTC time>.tar.gz`: logs, settings
   * with secrets removed, status, versions, Nix wiring, builds) into the log dir or `outDir`.
   */
  'diagnostics.create': {
    input: z.object({ outDir: z.string().max(4096).startsWith('/', 'an absolute path').refine((dir) => !dir.includes('\0'), 'no NUL characters').optional() }).strict(),
    output: z.object({ path: z.string(), files: z.array(z.string()) }),
  },
  /** Every tracked repository with each branch's baseline, as last computed. */
  'baselines.list': { input: Empty, output: BaselinesListSchema },
  /** Tracks a git work tree (refused with a clear error when the path is not one). */
  'baselines.addRepo': { input: z.object({ repo: AddTrackedRepoSchema }).strict(), output: BaselinesListSchema },
  'baselines.removeRepo': { input: z.object({ id: TrackedRepoIdSchema }).strict(), output: BaselinesListSchema },
  /** Changes a tracked repository's interval, time source, branch pattern or full-build command. */
  'baselines.updateRepo': {
    input: z.object({ id: TrackedRepoIdSchema, patch: TrackedRepoSchema.omit({ id: true, path: true }).partial().strict() }).strict(),
    output: BaselinesListSchema,
  },
  /** Queues the full build of a branch's baseline on the builder (a no-op answer when it is already built or queued). */
  'baselines.prebuild': {
    input: z.object({ repoId: TrackedRepoIdSchema, branch: z.string().min(1).max(1024) }).strict(),
    output: BaselinesListSchema,
  },
} as const;

export type RequestName = keyof typeof requests;
export type RequestInput<N extends RequestName> = z.input<(typeof requests)[N]['input']>;
export type RequestOutput<N extends RequestName> = z.infer<(typeof requests)[N]['output']>;

export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requests, name);
}

// ---------------------------------------------------------------------------------------------
// Events: pushed from the core to every door
// ---------------------------------------------------------------------------------------------

export const events = {
  status: StatusSchema,
  /** Batched: the hub sends at most about 60 batches a second. */
  logs: z.object({ lines: z.array(LogLineSchema) }),
  settings: SettingsSchema,
  builders: RemoteBuilderListSchema,
  /** One build changed (throttled per build); clients merge it by id. */
  build: BuildViewSchema,
  /** A build fell out of the history (only the last 200 are kept). */
  buildRemoved: z.object({ id: z.string() }),
  /** The builds on the builder that others started, whenever that list changes. */
  externalBuilds: z.object({ builds: z.array(ExternalBuildSchema) }),
  /** Tracked repositories' baselines, whenever a ref moves, a boundary rolls over or a prebuild changes. */
  baselines: BaselinesListSchema,
} as const satisfies Record<(typeof eventNames)[number], z.ZodType>;

export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.infer<(typeof events)[E]>;
export type CoreEvent = { [E in EventName]: { name: E; payload: EventPayload<E> } }[EventName];


// ---------------------------------------------------------------------------------------------
// Replies: every door answers with this envelope, never a thrown exception
// ---------------------------------------------------------------------------------------------

export const ErrorCodeSchema = z.enum([
  'invalid-request', // the door refused the input: it does not match this contract
  'invalid-settings', // a value out of range or of the wrong kind
  'busy', // another operation holds the builder (one at a time)
  'port-in-use',
  'not-supported', // e.g. darwin-linux-builder on a machine that is not a Mac
  'timeout',
  'vm-failed',
  'wiring-refused', // a Nix wiring plan with problems, or a file changed since it was planned: nothing written
  'disk', // the disk refused a read or write: full, read-only, no permission, too many open files
  'nix-missing', // no usable Nix where Builder Bar looks (the nixBinDir setting, BUILDER_BAR_NIX_BIN_DIR, PATH, Nix's profiles)
  'nix-too-old', // the Nix in use lacks a feature; the message names the feature and the version it needs
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ErrorInfoSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  /** What to do about it. */
  hint: z.string().nullable(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/**
 * What the renderer sees, whichever door it sits behind: `window.builderBar` in Electron
 * (from the preload), or the WebSocket client in a browser. Each method answers with the
 * envelope; `on(event, cb)` returns its unsubscribe function.
 */
export type BuilderBarApi = {
  [M in ApiMethodName]: (
    input: RequestInput<(typeof apiMethods)[M]>,
  ) => Promise<Envelope<RequestOutput<(typeof apiMethods)[M]>>>;
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
};

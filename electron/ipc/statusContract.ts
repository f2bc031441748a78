/**
 * The builder's status, errors and the values every part of the contract shares. Part of the contract (contract.ts re-exports it).
 */
import { z } from 'zod';

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

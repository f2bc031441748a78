/**
 * Settings: the saved file's shape, what a patch may change, what a change does. Part of the contract (contract.ts re-exports it).
 */
import { z } from 'zod';
import { ProfileNameSchema } from './statusContract.js';
import { TrackedRepoSchema } from './baselinesContract.js';
import { wholeNumber } from './wholeNumber.js';

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
  maxPerMinute: wholeNumber(1, 'at least 1 restart a minute', 6, 'at most 6 restarts a minute'),
  /** Consecutive failed restarts after which the supervisor gives up visibly. */
  giveUpAfter: wholeNumber(1, 'at least 1 failed restart', 50, 'at most 50 failed restarts'),
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
    port: wholeNumber(1, 'a port from 1 to 65535', 65535, 'a port from 1 to 65535'),
    systems: z
      .array(z.string().regex(/^[a-z0-9_]+-[a-z0-9]+$/, 'a Nix system such as x86_64-linux'))
      .min(1, 'at least one system, e.g. x86_64-linux')
      .max(8),
    maxJobs: wholeNumber(1, 'at least 1 job', 256, 'at most 256 jobs'),
    speedFactor: wholeNumber(1, 'at least 1', 100, 'at most 100'),
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
  cpus: wholeNumber(1, 'at least 1 core', 64, 'at most 64 cores'),
  memoryMiB: wholeNumber(512, 'at least 512 MiB', 262144, 'at most 256 GiB'),
  diskGiB: wholeNumber(2, 'at least 2 GiB', 4096, 'at most 4 TiB'),
  /** Host TCP port forwarded to the guest's ssh, bound to 127.0.0.1 only. */
  hostPort: wholeNumber(1024, 'ports below 1024 need root', 65535, 'at most 65535'),
  /** When true and `hostPort` is taken, use the next free port instead of failing. */
  hostPortAuto: z.boolean(),
  startOnLaunch: z.boolean(),
  /**
   * The builder stays stopped until Nix connects: the wiring's ssh alias runs `builder-bar proxy`
   * (a ProxyCommand), which asks the core to start it. Apply the wiring again after changing it.
   */
  onDemand: z.boolean(),
  /** With `onDemand`: stop the builder after this many minutes with no build and no ssh session. */
  idleStopMinutes: wholeNumber(1, 'at least 1 minute', 1440, 'at most 1440 minutes (a day)'),
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
    ringLines: wholeNumber(
      100,
      'at least 100 lines per source',
      1_000_000,
      `at most 1,000,000 lines per source (all sources together keep at most ${LOG_RING_BUDGET_MIB} MiB of lines in memory; the log files keep everything)`,
    ),
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

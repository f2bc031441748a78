/**
 * Nix wiring (electron/core/nix): detect, plan, apply, remove, verify. Part of the contract (contract.ts re-exports it).
 */
import { z } from 'zod';

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
  /** How many of `machines` are not Builder Bar's own (the `other-builder` problems name only the first few). */
  otherBuilders: z.number().int().nonnegative(),
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

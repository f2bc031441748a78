/**
 * The contract between Builder Bar's core and its three doors (Electron IPC, the headless
 * WebSocket, the CLI socket). Every request and event is named here once, with a zod schema;
 * TypeScript types are inferred from the schemas. Doors validate every input against this
 * file before the core sees it, and the renderer imports only its types.
 *
 * The shapes live in one file per domain (statusContract, settingsContract, buildsContract,
 * nixContract, baselinesContract), re-exported here; this file names the requests, the events
 * and the reply envelope that use them.
 *
 * Shape borrowed in spirit from Rancher Desktop's backend contract (a small state enum and
 * events) and Podman Desktop's preload (one named operation each, errors as an envelope).
 */
import { z } from 'zod';
import { apiMethods, eventNames, type ApiMethodName } from './names.js';
import { AddTrackedRepoSchema, BaselinesListSchema, TrackedRepoIdSchema, TrackedRepoSchema } from './baselinesContract.js';
import { LogFileSchema, LogLineSchema, LogSourceSchema, StatusSchema } from './statusContract.js';
import { AbsoluteFileSchema, BuilderImagePlanSchema, NixpkgsBranchSchema, NixpkgsPinSchema, RemoteBuilderListSchema, RemoteBuilderSchema, SettingsEffectsSchema, SettingsPatchSchema, SettingsSchema, UpstreamDiskSchema } from './settingsContract.js';
import { BuildTargetSchema, BuildViewSchema, ExternalBuildSchema, ExternalFeedSchema } from './buildsContract.js';
import { NixDetectionSchema, NixTargetInputSchema, WiringApplyResultSchema, WiringPlanViewSchema, WiringRemoveResultSchema, WiringVerifyResultSchema } from './nixContract.js';
import type { LogFrame } from './logFrame.js';
import type { LogLine } from './statusContract.js';

export { apiMethods, eventNames, ipcChannels, isEventName, type ApiMethodName } from './names.js';
export * from './baselinesContract.js';
export * from './statusContract.js';
export * from './settingsContract.js';
export * from './buildsContract.js';
export * from './nixContract.js';

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
  /**
   * What was wrong with settings.json when the core started and what it did about it (moved
   * aside, values refused, a newer version left unwritten), in words; empty when it was fine.
   */
  settingsNotices: z.array(z.string()),
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

/**
 * Log lines as a door hands them to the renderer: a packed frame both doors send as bytes
 * (logFrame.ts), or objects (lines that could not be packed, the JSON event, a fetched tail).
 */
export type LogBatch = readonly LogLine[] | LogFrame;
/** An event as the renderer's API delivers it: as the contract says, but `logs` may come packed. */
export type ApiEventPayload<E extends EventName> = E extends 'logs' ? { lines: LogBatch } : EventPayload<E>;


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
  on<E extends EventName>(event: E, listener: (payload: ApiEventPayload<E>) => void): () => void;
};

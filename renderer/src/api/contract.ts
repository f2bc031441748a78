/**
 * The renderer's one window onto the contract. Everything else in `renderer/` imports from
 * here, so the path into `electron/ipc/` is written once. Mostly types; the schemas come along
 * only where the renderer validates (events, replies, the settings form).
 */
export type {
  Accelerator,
  AppInfo,
  HostTools,
  ApiMethodName,
  BuilderBarApi,
  BuilderImagePlan,
  ProfileName,
  UpstreamDisk,
  BuildTarget,
  BuildView,
  Envelope,
  ErrorInfo,
  EventName,
  EventPayload,
  ApiEventPayload,
  LogBatch,
  GuestStats,
  ExternalBuild,
  HostKeyInfo,
  HostKeySwitchProgress,
  FixedLogSource,
  LogFile,
  LogLevel,
  LogLine,
  LogSource,
  NixInUse,
  RequestInput,
  RequestName,
  RemoteBuilder,
  RemoteBuilderHealth,
  RemoteBuilderList,
  RequestOutput,
  RestartInfo,
  Settings,
  SettingsEffects,
  SettingsPatch,
  Status,
  VmError,
  VmState,
} from '../../../electron/ipc/contract.js';
export type { LogFrame, LogFrameRun } from '../../../electron/ipc/logFrame.js';
export type {
  BaselinesList,
  BaselineTimeSource,
  BranchBaseline,
  PrebuildState,
  RepoBaselines,
  TrackedRepo,
} from '../../../electron/ipc/baselinesContract.js';
export { AddTrackedRepoSchema, TrackedRepoSchema } from '../../../electron/ipc/baselinesContract.js';
export {
  apiMethods,
  BUILD_LOG_ID,
  FixedLogSourceSchema,
  LogLevelSchema,
  BuildTargetSchema,
  ErrorCodeSchema,
  events,
  isEventName,
  LogSourceSchema,
  RemoteBuilderSchema,
  requests,
  SettingsSchema,
} from '../../../electron/ipc/contract.js';
export { isLogLevel, isLogSource, logFrameText, unpackLogFrame } from '../../../electron/ipc/logFrame.js';

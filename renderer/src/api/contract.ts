/**
 * The renderer's one window onto the contract. Everything else in `renderer/` imports from
 * here, so the path into `electron/ipc/` is written once. Mostly types; the schemas come along
 * only where the renderer validates (events, replies, the settings form).
 */
export type {
  Accelerator,
  ApiMethodName,
  BuilderBarApi,
  Envelope,
  ErrorInfo,
  EventName,
  EventPayload,
  GuestStats,
  HostKeyInfo,
  LogLevel,
  LogLine,
  LogSource,
  RequestInput,
  RequestName,
  RequestOutput,
  RestartInfo,
  Settings,
  SettingsEffects,
  SettingsPatch,
  Status,
  VmError,
  VmState,
} from '../../../electron/ipc/contract.js';
export {
  apiMethods,
  ErrorCodeSchema,
  events,
  isEventName,
  LogSourceSchema,
  requests,
  SettingsSchema,
} from '../../../electron/ipc/contract.js';

/**
 * The renderer's mirror of the core: what it last heard, never its own truth. These are the
 * pure steps the store applies, kept apart so they are unit-tested without a DOM.
 */
import type { ConnectionInfo } from '../api/connection.js';
import type { BuildView, ErrorInfo, ExternalBuild, LogBatch, LogLine, RemoteBuilderList, RepoBaselines, Settings, Status } from '../api/contract.js';
import { LogBuffer } from './logBuffer.js';

export interface Mirror {
  status: Status | null;
  settings: Settings | null;
  /** Recent log lines of every source, ordered by `seq`, at most the store's cap. */
  logs: LogsSnapshot;
  /** The build queue: builds under way first, then the kept history, newest first. */
  builds: BuildView[];
  /** Builds running on the builder that Builder Bar did not start (seen in its process list). */
  onBuilder: ExternalBuild[];
  /** Remote builders with their last health check; null until the core answered. */
  remoteBuilders: RemoteBuilderList['builders'] | null;
  /** Tracked repositories with each branch's baseline, as the core last computed them; null until it answered. */
  baselines: RepoBaselines[] | null;
  connection: ConnectionInfo;
  /** Why the initial fetch failed, if it did (shown instead of an empty page). */
  loadError: ErrorInfo | null;
}

/**
 * The log lines as the store last published them. The buffer is shared and only grows at its
 * end (or is trimmed at its front) so a batch costs O(batch), not O(lines held); this wrapper is
 * new per change, which is what tells zustand's subscribers (and React) that something moved.
 */
export interface LogsSnapshot {
  readonly buffer: LogBuffer;
  /** Counts the changes since this buffer was created. */
  readonly version: number;
}

export function emptyLogs(cap: number): LogsSnapshot {
  return { buffer: new LogBuffer(cap), version: 0 };
}

export function emptyMirror(connection: ConnectionInfo, logCap: number): Mirror {
  return { status: null, settings: null, logs: emptyLogs(logCap), builds: [], onBuilder: [], remoteBuilders: null, baselines: null, connection, loadError: null };
}

/**
 * Adds lines to the held log without duplicates, keeping the newest (the buffer's cap). Events
 * and the initial tail may overlap or arrive in either order; `seq` (monotonic per hub) settles
 * both. The buffer is changed in place; a new snapshot is returned when anything changed, the
 * same one otherwise (so nobody re-renders for an empty batch).
 */
export function mergeLogLines(logs: LogsSnapshot, incoming: LogBatch): LogsSnapshot {
  return logs.buffer.merge(incoming) ? { buffer: logs.buffer, version: logs.version + 1 } : logs;
}

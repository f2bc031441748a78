/**
 * The renderer's mirror of the core: what it last heard, never its own truth. These are the
 * pure steps the store applies, kept apart so they are unit-tested without a DOM.
 */
import type { ConnectionInfo } from '../api/connection.js';
import type { BuildView, ErrorInfo, LogLine, RemoteBuilderList, RepoBaselines, Settings, Status } from '../api/contract.js';

export interface Mirror {
  status: Status | null;
  settings: Settings | null;
  /** Recent log lines of every source, ordered by `seq`, at most the store's cap. */
  logs: LogLine[];
  /** The build queue: builds under way first, then the kept history, newest first. */
  builds: BuildView[];
  /** Remote builders with their last health check; null until the core answered. */
  remoteBuilders: RemoteBuilderList['builders'] | null;
  /** Tracked repositories with each branch's baseline, as the core last computed them; null until it answered. */
  baselines: RepoBaselines[] | null;
  connection: ConnectionInfo;
  /** Why the initial fetch failed, if it did (shown instead of an empty page). */
  loadError: ErrorInfo | null;
}

export function emptyMirror(connection: ConnectionInfo): Mirror {
  return { status: null, settings: null, logs: [], builds: [], remoteBuilders: null, baselines: null, connection, loadError: null };
}

/**
 * Adds lines to the ordered list without duplicates and keeps the newest `cap`. Events and the
 * initial tail may overlap or arrive in either order; `seq` (monotonic per hub) settles both.
 */
export function mergeLogLines(existing: readonly LogLine[], incoming: readonly LogLine[], cap: number): LogLine[] {
  if (incoming.length === 0) return existing.length > cap ? existing.slice(existing.length - cap) : [...existing];
  const lastSeq = existing.length > 0 ? existing[existing.length - 1]!.seq : -1;
  let merged: LogLine[];
  if (isStrictlyAscending(incoming) && incoming[0]!.seq > lastSeq) {
    // The common case, a live batch after what we hold: append.
    merged = existing.concat(incoming);
  } else {
    const bySeq = new Map<number, LogLine>();
    for (const line of existing) bySeq.set(line.seq, line);
    for (const line of incoming) bySeq.set(line.seq, line);
    merged = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
  return merged.length > cap ? merged.slice(merged.length - cap) : merged;
}

function isStrictlyAscending(lines: readonly LogLine[]): boolean {
  for (let i = 1; i < lines.length; i += 1) {
    if (lines[i]!.seq <= lines[i - 1]!.seq) return false;
  }
  return true;
}

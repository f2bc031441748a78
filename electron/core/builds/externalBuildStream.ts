/**
 * Builds other Nix processes ran, assembled from the records on the json-log-path socket
 * (logSocket.ts): each connection is one Nix process (a nix-daemon worker serving one client,
 * or a `nix` command that read the setting itself), and within it each top-level `builds`
 * activity starts a new build, so a long-lived connection shows its builds one by one. Records
 * are parsed by activityParser.ts (the same parser as Builder Bar's own builds) and fed to a
 * BuildQueue per build: machine, phase, progress and log come out exactly as for our builds.
 *
 * The same activity can arrive twice: a `nix build` client writes the activities its daemon
 * forwards to it, with the daemon's ids, and the daemon writes them too. Activity ids embed the
 * writing process's pid (Nix: `nextId++ + (pid << 32)`), so an id belongs to the first
 * connection that starts it; the other connection's copies are dropped. A build becomes visible
 * only once it owns a `build` activity, so a client that merely echoes its daemon, or a
 * connection that never builds (`nix eval`, `nix path-info`), never shows.
 *
 * Bad input is skipped and counted, never thrown: a line that is not a JSON log record
 * (truncated, malformed) counts as `malformed`. Memory is bounded: log lines per derivation,
 * Nix messages per build, and the finished builds kept (the newest `maxFinished`).
 */
import type { BuildView } from '../../ipc/contract.js';
import { parseActivityJson, type ActivityEvent, type ActivityId } from './activityParser.js';
import { BuildQueue, type DerivationEntry } from './buildQueue.js';
import { derivationSummary } from './buildRunner.js';
import { shownDerivations } from './shownDerivations.js';

export interface ExternalStreamCounts {
  records: number;
  malformed: number;
  /** Records another connection already delivered (a client echoing its daemon). */
  duplicates: number;
}

export interface ExternalBuildStreamsOptions {
  now?: () => number;
  /** Finished external builds kept (default 50). */
  maxFinished?: number;
  /** Log lines kept per derivation (default 500). */
  maxLogLines?: number;
  /** A derivation's build log line, as it arrives (for the log hub). */
  onLogLine?: (buildId: string, derivationName: string, line: string) => void;
}

const NIX_LINES_KEPT = 200;
const ENDED_EARLY = 'The Nix process ended before this build did (interrupted, or it exited).';
/** The first line of Nix's list of what it will build (as buildQueue.ts reads it). */
const LISTING = /derivations? will be built:$/;

interface Group {
  id: string;
  connection: number;
  queue: BuildQueue;
  createdAt: number;
  endedAt: number | null;
  /** True once it owns a `build` activity. */
  visible: boolean;
  hasBuildsActivity: boolean;
  nixLines: string[];
  /** Derivations still unfinished when their connection closed. */
  cutShort: Set<string>;
}

interface Connection {
  current: Group | null;
  owned: Set<ActivityId>;
}

const FINISHED_STATES = new Set<DerivationEntry['state']>(['done', 'failed', 'cancelled']);

export class ExternalBuildStreams {
  private readonly connections = new Map<number, Connection>();
  private readonly owners = new Map<ActivityId, number>();
  /** Visible groups, oldest first: live ones and the newest finished ones. */
  private readonly groups = new Map<string, Group>();
  private readonly changed = new Set<string>();
  private readonly removed = new Set<string>();
  private readonly tally: ExternalStreamCounts = { records: 0, malformed: 0, duplicates: 0 };
  private nextGroup = 1;
  private readonly now: () => number;

  constructor(private readonly options: ExternalBuildStreamsOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  counts(): ExternalStreamCounts {
    return { ...this.tally };
  }

  /** One line from connection `connection`: a JSON log record, or something to skip and count. */
  line(connection: number, line: string): void {
    if (line.trim() === '') return;
    const event = parseActivityJson(line);
    if (event.kind === 'plain') {
      this.tally.malformed += 1;
      return;
    }
    this.tally.records += 1;
    const state = this.connectionState(connection);
    if (!this.claim(connection, state, event)) {
      this.tally.duplicates += 1;
      return;
    }
    // Nix lists what it will build ("these 3 derivations will be built:") just before the
    // `builds` activity of that build: after an earlier build on the connection (an import from
    // a derivation built during evaluation), the list begins the next build, or its derivations
    // would be left waiting in the earlier one for good.
    const begins = (event.kind === 'start' && event.activity.type === 'builds') || (event.kind === 'msg' && LISTING.test(event.text));
    if (begins) {
      const current = state.current;
      if (current && (current.hasBuildsActivity || current.visible)) this.settle(current, false);
      if (!state.current) state.current = this.newGroup(connection);
      if (event.kind === 'start') state.current.hasBuildsActivity = true;
    }
    const group = state.current ?? (state.current = this.newGroup(connection));
    if (event.kind === 'msg') {
      group.nixLines.push(event.text);
      if (group.nixLines.length > NIX_LINES_KEPT) group.nixLines.splice(0, group.nixLines.length - NIX_LINES_KEPT);
    }
    group.queue.apply(event);
    if (event.kind === 'start' && event.activity.type === 'build' && !group.visible) {
      group.visible = true;
      this.groups.set(group.id, group);
    }
    if (group.visible) this.changed.add(group.id);
  }

  /** The connection ended: its builds are over; whatever was still unfinished was cut short. */
  closed(connection: number): void {
    const state = this.connections.get(connection);
    if (!state) return;
    this.connections.delete(connection);
    for (const id of state.owned) this.owners.delete(id);
    if (state.current) this.settle(state.current, true);
  }

  /** Running ones first (newest first), then finished ones, newest first. */
  list(): BuildView[] {
    const views = [...this.groups.values()].reverse().map((group) => this.view(group));
    return [...views.filter((view) => view.state === 'running'), ...views.filter((view) => view.state !== 'running')];
  }

  /** Views of the builds that changed since the last call, and ids that were let go. */
  takeChanges(): { views: BuildView[]; removed: string[] } {
    const views = [...this.changed].flatMap((id) => {
      const group = this.groups.get(id);
      return group ? [this.view(group)] : [];
    });
    const removed = [...this.removed];
    this.changed.clear();
    this.removed.clear();
    return { views, removed };
  }

  has(id: string): boolean {
    return this.groups.has(id);
  }

  /** A derivation's log lines, or the build's Nix messages; null for an id it does not know. */
  log(id: string, drvPath: string | undefined): { lines: string[]; dropped: number } | null {
    const group = this.groups.get(id);
    if (!group) return null;
    if (drvPath === undefined) return { lines: [...group.nixLines], dropped: 0 };
    const derivation = group.queue.derivation(drvPath);
    return derivation ? { lines: derivation.logLines, dropped: derivation.droppedLogLines } : { lines: [], dropped: 0 };
  }

  private connectionState(connection: number): Connection {
    let state = this.connections.get(connection);
    if (!state) {
      state = { current: null, owned: new Set() };
      this.connections.set(connection, state);
    }
    return state;
  }

  /** False when another connection owns the event's activity. */
  private claim(connection: number, state: Connection, event: ActivityEvent): boolean {
    if (event.kind !== 'start' && event.kind !== 'stop' && event.kind !== 'result') return true;
    const owner = this.owners.get(event.id);
    if (owner !== undefined && owner !== connection) return false;
    if (event.kind === 'start' && owner === undefined) {
      this.owners.set(event.id, connection);
      state.owned.add(event.id);
    } else if (event.kind === 'stop' && owner !== undefined) {
      this.owners.delete(event.id);
      state.owned.delete(event.id);
    }
    return true;
  }

  private newGroup(connection: number): Group {
    const createdAt = this.now();
    const id = `ext-${createdAt.toString(36)}-${this.nextGroup++}`;
    const queue = new BuildQueue({ now: this.now, maxLogLines: this.options.maxLogLines ?? 500 });
    const group: Group = { id, connection, queue, createdAt, endedAt: null, visible: false, hasBuildsActivity: false, nixLines: [], cutShort: new Set() };
    const names = new Map<string, string>();
    queue.onChange((change) => {
      if (change.type === 'derivation-created') names.set(change.derivation.drvPath, change.derivation.name);
      if (change.type === 'log-line' && group.visible) this.options.onLogLine?.(group.id, names.get(change.drvPath) ?? change.drvPath, change.line);
    });
    return group;
  }

  /** Ends a group: its connection closed (`cutShort`), or a new build began on it. */
  private settle(group: Group, connectionClosed: boolean): void {
    const state = this.connections.get(group.connection);
    if (state?.current === group) state.current = null;
    if (!group.visible) return;
    if (connectionClosed) {
      for (const derivation of group.queue.derivations()) {
        if (!FINISHED_STATES.has(derivation.state)) group.cutShort.add(derivation.drvPath);
      }
      if (group.cutShort.size > 0) group.queue.finish({ exitCode: null, signal: null, cancelled: false });
    }
    group.endedAt = this.now();
    this.changed.add(group.id);
    this.trim();
  }

  private trim(): void {
    const max = this.options.maxFinished ?? 50;
    const finished = [...this.groups.values()].filter((group) => group.endedAt !== null);
    for (const group of finished.slice(0, Math.max(0, finished.length - max))) {
      this.groups.delete(group.id);
      this.changed.delete(group.id);
      this.removed.add(group.id);
    }
  }

  private view(group: Group): BuildView {
    const derivations = group.queue.derivations().map((entry) => {
      const summary = derivationSummary(entry);
      return group.cutShort.has(entry.drvPath) ? { ...summary, reason: ENDED_EARLY } : summary;
    });
    const progress = group.queue.progress();
    const unfinished = derivations.some((derivation) => !FINISHED_STATES.has(derivation.state));
    const failed = derivations.some((derivation) => derivation.state === 'failed') || progress.failed > 0;
    const state: BuildView['state'] = group.endedAt === null && unfinished ? 'running' : failed ? 'failed' : 'succeeded';
    const built = derivations.filter((derivation) => derivation.startedAt !== null);
    const named = built[0]?.name ?? derivations[0]?.name ?? 'a build';
    const description = built.length > 1 ? `${named} and ${built.length - 1} more` : named;
    const lastEnd = Math.max(0, ...derivations.map((derivation) => derivation.endedAt ?? 0));
    return {
      id: group.id,
      source: 'external',
      target: { kind: 'external', description },
      state,
      createdAt: group.createdAt,
      endedAt: state === 'running' ? null : (group.endedAt ?? (lastEnd || null)),
      exitCode: null,
      signal: null,
      error: failed ? (group.cutShort.size > 0 ? ENDED_EARLY : group.queue.lastError()) : null,
      ...shownDerivations(derivations),
      progress,
      outputPaths: [],
    };
  }
}

/**
 * The derivations of one Nix invocation, fed by the parsed activity stream: which are waiting,
 * building (on which machine: `local` when Nix builds them itself), copying their outputs back,
 * done, failed or cancelled; their phase, times and (bounded) log lines; and Nix's own overall
 * progress (the `builds` activity's progress results). Pure state: no processes, no clock of its
 * own. Changes are pushed to listeners, in the spirit of Podman Desktop's task manager.
 *
 * Notes are what the queue saw that is no derivation's state but that a user should read: what
 * Nix is waiting for ("waiting for a machine to build '…'") and any activity or result type it
 * does not know (a newer Nix's), as "unknown activity type 115: <its text>". An unknown type
 * never changes a derivation's state; it only adds a note.
 */
import { describeUnknownActivity, describeUnknownResult, type ActivityEvent, type ActivityId } from './activityParser.js';

export type DerivationState = 'waiting' | 'building' | 'copying' | 'done' | 'failed' | 'cancelled';

export const LOCAL_MACHINE = 'local';

export interface DerivationEntry {
  drvPath: string;
  /** The derivation's name: the store path's basename without hash and `.drv`. */
  name: string;
  state: DerivationState;
  machine: string;
  phase: string | null;
  startedAt: number | null;
  endedAt: number | null;
  /** The last lines of its build log; `droppedLogLines` older ones were let go. */
  logLines: string[];
  droppedLogLines: number;
  /** Why it failed or was cancelled, in words. */
  reason: string | null;
}

export interface BuildProgress {
  done: number;
  expected: number;
  running: number;
  failed: number;
}

export interface QueueNote {
  /** `warn`: something the queue does not understand; `info`: what Nix is waiting for. */
  level: 'warn' | 'info';
  text: string;
}

export type BuildQueueChange =
  | { type: 'derivation-created'; derivation: DerivationEntry }
  | { type: 'derivation-updated'; derivation: DerivationEntry }
  | { type: 'log-line'; drvPath: string; line: string }
  | { type: 'progress'; progress: BuildProgress }
  | { type: 'note'; note: QueueNote };

export interface BuildQueueOptions {
  now?: () => number;
  /** Log lines kept per derivation. */
  maxLogLines?: number;
  /** Notes kept (the oldest go first). */
  maxNotes?: number;
}

export interface FinishOutcome {
  exitCode: number | null;
  signal: string | null;
  cancelled: boolean;
}

const STORE_DRV = /\/nix\/store\/[0-9a-z]{32}-[^\s'"]+\.drv/g;
const FINISHED: ReadonlySet<DerivationState> = new Set(['done', 'failed', 'cancelled']);

export function derivationName(drvPath: string): string {
  const base = drvPath.slice(drvPath.lastIndexOf('/') + 1).replace(/\.drv$/, '');
  return base.replace(/^[0-9a-z]{32}-/, '');
}

/** The name part of a store path (`/nix/store/<hash>-name` -> `name`). */
function storePathName(storePath: string): string {
  return storePath.slice(storePath.lastIndexOf('/') + 1).replace(/^[0-9a-z]{32}-/, '');
}

export class BuildQueue {
  private readonly entries = new Map<string, DerivationEntry>();
  /** Activity id of a running `build` activity -> its derivation. */
  private readonly buildActivities = new Map<ActivityId, string>();
  /** Activity id of a running post-build hook -> the derivation it runs for. */
  private readonly hookActivities = new Map<ActivityId, string>();
  /** Open activities' texts, to say where an unknown result came from. */
  private readonly activityTexts = new Map<ActivityId, string>();
  /** `<activity id>:<result type>` of unknown results already noted. */
  private readonly notedResults = new Set<string>();
  private readonly noteList: QueueNote[] = [];
  private buildsActivityId: ActivityId | null = null;
  private currentProgress: BuildProgress = { done: 0, expected: 0, running: 0, failed: 0 };
  /** Failures Nix counted (progress.failed) that are already pinned on a derivation. */
  private attributedFailures = 0;
  private listingDerivations = false;
  /** Nix said which derivations it will build ("these N derivations will be built:"). */
  private sawListing = false;
  private cancelling = false;
  private lastErrorText: string | null = null;
  private readonly listeners = new Set<(change: BuildQueueChange) => void>();
  private readonly now: () => number;
  private readonly maxLogLines: number;
  private readonly maxNotes: number;

  constructor(options: BuildQueueOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxLogLines = options.maxLogLines ?? 2_000;
    this.maxNotes = options.maxNotes ?? 200;
  }

  onChange(listener: (change: BuildQueueChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  derivations(): DerivationEntry[] {
    return [...this.entries.values()].map(copyEntry);
  }

  derivation(drvPath: string): DerivationEntry | null {
    const entry = this.entries.get(drvPath);
    return entry ? copyEntry(entry) : null;
  }

  /**
   * Nix's progress, reconciled with the derivations the queue knows: Nix 2.34 counts one build
   * more than there are derivations (its top-level goal), so once Nix has listed what it will
   * build, "expected" is the derivations listed or started, never less than what Nix has done,
   * runs or failed. Without that list (a stream that joined late) Nix's own count stands.
   */
  progress(): BuildProgress {
    const { done, expected, running, failed } = this.currentProgress;
    if (!this.sawListing) return { ...this.currentProgress };
    return { done, running, failed, expected: Math.max(this.entries.size, done + running + failed) };
  }

  /** What the queue noted beside the derivations, oldest first (bounded). */
  notes(): QueueNote[] {
    return this.noteList.map((note) => ({ ...note }));
  }

  /** The last error Nix reported (ANSI stripped), e.g. for a failed build's summary. */
  lastError(): string | null {
    return this.lastErrorText;
  }

  apply(event: ActivityEvent): void {
    switch (event.kind) {
      case 'msg':
        this.onMessage(event.level, event.text, event.message);
        return;
      case 'start':
        this.onStart(event.id, event.activity, event.text);
        return;
      case 'result':
        this.onResult(event);
        return;
      case 'stop':
        this.onStop(event.id);
        return;
      case 'plain':
        return;
    }
  }

  /**
   * The user cancelled and Nix was interrupted: builds it stops from now on were cut short, not
   * finished (Nix stops an interrupted build's activity without counting a failure).
   */
  markCancelling(): void {
    this.cancelling = true;
  }

  /**
   * The process has exited: nothing may stay waiting or building. Unfinished derivations become
   * `cancelled` when the user cancelled, otherwise `failed` with the exit and Nix's last error.
   */
  finish(outcome: FinishOutcome): void {
    const exit = outcome.signal ? `Nix was ended by ${outcome.signal}` : `Nix exited with code ${outcome.exitCode ?? 'unknown'}`;
    for (const entry of this.entries.values()) {
      if (FINISHED.has(entry.state)) continue;
      if (outcome.cancelled) {
        this.settle(entry, 'cancelled', 'Cancelled by the user.');
      } else if (outcome.exitCode === 0) {
        this.settle(entry, 'failed', 'Nix finished without reporting a build of this derivation.');
      } else {
        this.settle(entry, 'failed', this.lastErrorText ? `${exit}: ${this.lastErrorText}` : `${exit}.`);
      }
    }
  }

  private onMessage(level: number, text: string, message: string): void {
    // "these 3 derivations will be built:" followed by one indented drv path per line.
    if (/derivations? will be built:$/.test(text)) {
      this.listingDerivations = true;
      this.sawListing = true;
      return;
    }
    const listed = /^\s+(\/nix\/store\/\S+\.drv)$/.exec(text);
    if (this.listingDerivations && listed?.[1]) {
      this.ensureEntry(listed[1]);
      return;
    }
    this.listingDerivations = false;
    if (level > 0) return;
    this.lastErrorText = message;
    // 2.8: "builder for '<drv>' failed with exit code 1"; 2.34: "Cannot build '<drv>'. Reason: …".
    if (!/failed|couldn't be built|cannot build/i.test(text)) return;
    // "builder for '<drv>' failed with exit code 1", "build of '<drv>' on '<machine>' failed: ..."
    const named = [...new Set(text.match(STORE_DRV) ?? [])];
    const first = named[0];
    if (!first) return;
    const entry = this.entries.get(first);
    if (!entry || entry.state === 'cancelled') return;
    if (entry.state === 'failed') {
      // Already failed at its stop; Nix's own words say why better than the generic reason.
      entry.reason = this.lastErrorText;
      this.emit({ type: 'derivation-updated', derivation: copyEntry(entry) });
      return;
    }
    if (entry.state === 'done' && this.attributedFailures > 0) {
      // A failure counted at stop time was pinned on another derivation; this message names the real one.
      this.attributedFailures -= 1;
    }
    this.settle(entry, 'failed', this.lastErrorText);
  }

  private onStart(id: ActivityId, activity: Extract<ActivityEvent, { kind: 'start' }>['activity'], text: string): void {
    if (text !== '') this.activityTexts.set(id, text);
    if (activity.type === 'unknown') {
      this.addNote('warn', describeUnknownActivity(activity, text));
      return;
    }
    if (activity.type === 'build-waiting') {
      if (activity.drvPath && !this.entries.has(activity.drvPath) && /\bbuild\b/.test(text)) this.ensureEntry(activity.drvPath);
      if (text !== '') this.addNote('info', text);
      return;
    }
    if (activity.type === 'post-build-hook') {
      // The hook's output belongs to the derivation it ran for.
      if (this.entries.has(activity.drvPath)) this.hookActivities.set(id, activity.drvPath);
      return;
    }
    if (activity.type === 'builds') {
      this.buildsActivityId = id;
      return;
    }
    if (activity.type === 'build') {
      const entry = this.ensureEntry(activity.drvPath);
      this.buildActivities.set(id, activity.drvPath);
      entry.state = 'building';
      entry.machine = activity.machine === '' ? LOCAL_MACHINE : activity.machine;
      entry.startedAt = this.now();
      entry.endedAt = null;
      entry.reason = null;
      this.emit({ type: 'derivation-updated', derivation: copyEntry(entry) });
      return;
    }
    if (activity.type === 'copy-path' && activity.to === LOCAL_MACHINE) {
      // Outputs coming back from a builder while their build activity is still open.
      const entry = this.buildingEntryFor(activity.from, activity.path);
      if (entry) {
        entry.state = 'copying';
        this.emit({ type: 'derivation-updated', derivation: copyEntry(entry) });
      }
    }
  }

  private onResult(event: Extract<ActivityEvent, { kind: 'result' }>): void {
    const { result } = event;
    if (result.type === 'unknown') {
      // Once per activity and type: a newer Nix may send its new result many times a second.
      const key = `${event.id}:${result.resultType}`;
      if (this.notedResults.has(key)) return;
      this.notedResults.add(key);
      const from = this.activityTexts.get(event.id);
      this.addNote('warn', from ? `${describeUnknownResult(result)} from "${from}"` : describeUnknownResult(result));
      return;
    }
    if (result.type === 'progress') {
      if (event.id !== this.buildsActivityId) return;
      this.currentProgress = { done: result.done, expected: result.expected, running: result.running, failed: result.failed };
      this.emit({ type: 'progress', progress: this.progress() });
      return;
    }
    const drvPath = this.buildActivities.get(event.id) ?? this.hookActivities.get(event.id);
    const entry = drvPath ? this.entries.get(drvPath) : undefined;
    if (!entry) return;
    if (result.type === 'build-log-line' || result.type === 'post-build-log-line') {
      entry.logLines.push(result.line);
      if (entry.logLines.length > this.maxLogLines) {
        entry.droppedLogLines += entry.logLines.splice(0, entry.logLines.length - this.maxLogLines).length;
      }
      this.emit({ type: 'log-line', drvPath: entry.drvPath, line: result.line });
    } else if (result.type === 'set-phase') {
      entry.phase = result.phase;
      this.emit({ type: 'derivation-updated', derivation: copyEntry(entry) });
    }
  }

  private onStop(id: ActivityId): void {
    this.activityTexts.delete(id);
    this.hookActivities.delete(id);
    const drvPath = this.buildActivities.get(id);
    if (!drvPath) return;
    this.buildActivities.delete(id);
    const entry = this.entries.get(drvPath);
    if (!entry) return;
    // Nix counts a failure in the `builds` progress before it stops the failed build's activity;
    // the error message naming the derivation may come only later (local builds), or earlier.
    const unattributed = this.currentProgress.failed - this.attributedFailures;
    if (entry.state === 'failed') {
      if (unattributed > 0) this.attributedFailures += 1;
      return;
    }
    if (FINISHED.has(entry.state)) return;
    if (this.cancelling) {
      this.settle(entry, 'cancelled', 'Cancelled by the user.');
    } else if (unattributed > 0) {
      this.attributedFailures += 1;
      this.settle(entry, 'failed', 'The build failed (see its log).');
    } else {
      this.settle(entry, 'done', null);
    }
  }

  private buildingEntryFor(machine: string, storePath: string): DerivationEntry | null {
    // Only derivations whose build activity is open can be building: a handful (the machines'
    // jobs), where a scan of every entry made each copy cost the whole build's size, and a
    // 100,000-derivation remote build quadratic (minutes with the core's event loop blocked).
    const candidates: DerivationEntry[] = [];
    for (const drvPath of new Set(this.buildActivities.values())) {
      const entry = this.entries.get(drvPath);
      if (entry?.state === 'building' && entry.machine === machine) candidates.push(entry);
    }
    // An output is named `<name>` or `<name>-<output>`; of derivations whose names both fit
    // (`aeson` and `aeson-pretty` for `aeson-pretty`), the longest name is the one it belongs to.
    const name = storePathName(storePath);
    let byName: DerivationEntry | null = null;
    for (const entry of candidates) {
      const fits = name === entry.name || name.startsWith(`${entry.name}-`);
      if (fits && (!byName || entry.name.length > byName.name.length)) byName = entry;
    }
    return byName ?? (candidates.length === 1 ? candidates[0] ?? null : null);
  }

  private ensureEntry(drvPath: string): DerivationEntry {
    const existing = this.entries.get(drvPath);
    if (existing) return existing;
    const entry: DerivationEntry = {
      drvPath,
      name: derivationName(drvPath),
      state: 'waiting',
      machine: LOCAL_MACHINE,
      phase: null,
      startedAt: null,
      endedAt: null,
      logLines: [],
      droppedLogLines: 0,
      reason: null,
    };
    this.entries.set(drvPath, entry);
    this.emit({ type: 'derivation-created', derivation: copyEntry(entry) });
    return entry;
  }

  private settle(entry: DerivationEntry, state: DerivationState, reason: string | null): void {
    entry.state = state;
    entry.reason = reason;
    entry.endedAt = this.now();
    this.emit({ type: 'derivation-updated', derivation: copyEntry(entry) });
  }

  private addNote(level: QueueNote['level'], text: string): void {
    const note = { level, text };
    this.noteList.push(note);
    if (this.noteList.length > this.maxNotes) this.noteList.splice(0, this.noteList.length - this.maxNotes);
    this.emit({ type: 'note', note: { ...note } });
  }

  private emit(change: BuildQueueChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function copyEntry(entry: DerivationEntry): DerivationEntry {
  return { ...entry, logLines: [...entry.logLines] };
}

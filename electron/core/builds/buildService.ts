/**
 * The build queue as the core keeps it: the builds running now and the last 200 finished ones
 * (kept across restarts), each shown as a `BuildView` with `source: 'builder-bar'`, beside the
 * builds other Nix processes ran (`source: 'external'`, from the json-log-path feed,
 * externalBuildFeed.ts; kept in memory only, the newest 50). A build that asks for the builder while
 * it is stopped or still booting waits until it is really ready, instead of failing with
 * "Failed to find a machine for remote build!" (a pain point of on-demand builders).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { BuildSummary, BuildView, LogSource } from '../../ipc/contract.js';
import { describeBuildTarget as describeTarget } from '../../ipc/describeBuildTarget.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from '../logs/logSink.js';
import type { NixResolver } from '../nix/nixInstallation.js';
import { BuildHistory } from './buildHistory.js';
import { buildLogSource } from '../logs/buildLogSource.js';
import { derivationName, LOCAL_MACHINE } from './buildQueue.js';
import { derivationSummary, startBuild, type BuildRun, type BuildTarget } from './buildRunner.js';
import { inBackground } from '../util/inBackground.js';
import type { ExternalBuildFeed } from './externalBuildFeed.js';
import { shownDerivations } from './shownDerivations.js';

export interface BuildServiceOptions {
  stateDir: string;
  logs: LogSink;
  /** The environment that points Nix at the wiring Builder Bar applied ({} for the system's). */
  buildEnvironment: () => Promise<Record<string, string>>;
  /** The Nix that builds: its nix-build and nix, by absolute path. */
  nix: NixResolver;
  /** True when the builder can take a build now. */
  builderReady: () => boolean;
  /** Starts the builder if needed and resolves once it is ready; rejects with the reason. */
  ensureBuilderReady: () => Promise<void>;
  /** Per-build event throttle, ms. */
  throttleMs?: number;
  /** Builds started outside Builder Bar (json-log-path); none when absent. */
  external?: ExternalBuildFeed;
}

/** Finished runs whose log lines stay in memory for the log view (the history keeps no logs). */
const RECENT_RUNS_WITH_LOGS = 20;

export class BuildService {
  private readonly running = new Map<string, BuildRun>();
  private readonly recent: BuildRun[] = [];
  private readonly buildListeners = new Set<(view: BuildView) => void>();
  private readonly removedListeners = new Set<(id: string) => void>();
  private readonly pendingEmits = new Map<string, NodeJS.Timeout>();

  private constructor(
    private readonly options: BuildServiceOptions,
    private readonly history: BuildHistory,
  ) {
    options.external?.onBuild((view) => this.emit(view));
    options.external?.onRemoved((id) => {
      for (const listener of this.removedListeners) listener(id);
    });
  }

  static async open(options: BuildServiceOptions): Promise<BuildService> {
    const history = new BuildHistory(options.stateDir);
    const loaded = await history.load();
    if (loaded.movedAside) {
      options.logs.append('app', 'warn', `The build history could not be read (${loaded.movedAside.reason}); it was moved to ${loaded.movedAside.to}.`);
    }
    return new BuildService(options, history);
  }

  /** Running builds first (ours, then others'; newest first), then finished ones, newest first. */
  list(): BuildView[] {
    const live = [...this.running.values()].reverse().map((run) => viewOfRun(run));
    const external = this.options.external?.list() ?? [];
    const finished = [...this.history.list().map(ours), ...external.filter((view) => view.state !== 'running')];
    finished.sort((a, b) => (b.endedAt ?? b.createdAt) - (a.endedAt ?? a.createdAt));
    return [...live, ...external.filter((view) => view.state === 'running'), ...finished];
  }

  /** Names of the derivations our running builds are building on a builder (not locally). */
  buildingOnBuilders(): Set<string> {
    const names = new Set<string>();
    for (const run of this.running.values()) {
      for (const derivation of run.queue.derivations()) {
        if (derivation.state === 'building' && derivation.machine !== LOCAL_MACHINE) names.add(derivation.name);
      }
    }
    // Builds the log socket already shows need no second entry from the builder's process list.
    for (const view of this.options.external?.list() ?? []) {
      for (const derivation of view.derivations) {
        if (derivation.state === 'building' && derivation.machine !== LOCAL_MACHINE) names.add(derivation.name);
      }
    }
    return names;
  }

  runningCount(): number {
    return this.running.size;
  }

  onBuild(listener: (view: BuildView) => void): () => void {
    this.buildListeners.add(listener);
    return () => this.buildListeners.delete(listener);
  }

  onRemoved(listener: (id: string) => void): () => void {
    this.removedListeners.add(listener);
    return () => this.removedListeners.delete(listener);
  }

  /** Starts a build; rejects (`nix-missing`) before queueing anything when there is no Nix to run. */
  async start(target: BuildTarget): Promise<BuildView> {
    const nix = await this.options.nix.resolve();
    if (!nix.found) throw new BuilderBarError('nix-missing', `Cannot build: ${nix.reason}`, nix.hint);
    if (target.kind === 'file') await assertBuildableFile(target.file);
    const env = await this.options.buildEnvironment();
    const { logs } = this.options;
    // Set once the run has its id; Nix prints nothing before that (it starts after this returns).
    let stream: LogSource | null = null;
    const run = startBuild(target, {
      env,
      nixBuildCommand: nix.installation.programs['nix-build'],
      nixCommand: nix.installation.programs.nix,
      ...(this.options.builderReady() ? {} : { waitForBuilderReady: this.options.ensureBuilderReady }),
      onNixLine: (line, level) => {
        if (stream) logs.append(stream, level, line);
      },
    });
    stream = buildLogSource(run.id);
    const buildStream = stream;
    this.running.set(run.id, run);
    logs.append('app', 'info', `Build ${run.id} started: ${describeTarget(target)}.`);
    logs.append(buildStream, 'info', `Build ${run.id} started: ${describeTarget(target)}.`);
    run.onState(() => this.emitSoon(run));
    // Derivations' lines as Nix itself prints them, `name> line`, so interleaved ones stay apart.
    const names = new Map<string, string>();
    run.queue.onChange((change) => {
      if (change.type !== 'log-line') {
        if (change.type === 'derivation-created') names.set(change.derivation.drvPath, change.derivation.name);
        this.emitSoon(run);
        return;
      }
      logs.append(buildStream, 'info', `${names.get(change.drvPath) ?? derivationName(change.drvPath)}> ${change.line}`);
    });
    inBackground(run.summary.then((summary) => this.finish(run, summary)), `Finishing build ${run.id}`, (text) => logs.append('app', 'error', text));
    const view = viewOfRun(run);
    this.emit(view);
    return view;
  }

  cancel(id: string): BuildView {
    const run = this.running.get(id);
    if (!run && this.options.external?.has(id)) {
      throw new BuilderBarError('invalid-request', `Build ${id} was started outside Builder Bar; it can only be stopped where it runs.`, 'Interrupt the nix command that started it (Ctrl-C in its terminal).');
    }
    if (!run) {
      const finished = this.history.list().find((build) => build.id === id);
      if (finished) return finished;
      throw unknownBuild(id);
    }
    run.cancel();
    this.options.logs.append('app', 'info', `Build ${id}: cancel requested.`);
    return viewOfRun(run);
  }

  log(id: string, drvPath: string | undefined): { lines: string[]; dropped: number } {
    const external = this.options.external?.log(id, drvPath);
    if (external) return external;
    const run = this.running.get(id) ?? this.recent.find((candidate) => candidate.id === id);
    if (!run) {
      if (this.history.list().some((build) => build.id === id)) return { lines: [], dropped: 0 };
      throw unknownBuild(id);
    }
    if (drvPath === undefined) return { lines: run.nixLines(), dropped: 0 };
    const derivation = run.queue.derivation(drvPath);
    if (!derivation) throw new BuilderBarError('invalid-request', `Build ${id} has no derivation ${drvPath}.`, null);
    return { lines: derivation.logLines, dropped: derivation.droppedLogLines };
  }

  /** Cancels what is still running (the builds are children of this core) and waits for them. */
  async close(): Promise<void> {
    const runs = [...this.running.values()];
    for (const run of runs) run.cancel();
    await Promise.all(runs.map((run) => run.summary));
    for (const timer of this.pendingEmits.values()) clearTimeout(timer);
    this.pendingEmits.clear();
    this.buildListeners.clear();
    this.removedListeners.clear();
  }

  private async finish(run: BuildRun, summary: BuildSummary): Promise<void> {
    this.running.delete(run.id);
    this.recent.unshift(run);
    this.recent.splice(RECENT_RUNS_WITH_LOGS);
    const timer = this.pendingEmits.get(run.id);
    if (timer) clearTimeout(timer);
    this.pendingEmits.delete(run.id);
    const level = summary.state === 'failed' ? 'error' : 'info';
    this.options.logs.append('app', level, `Build ${run.id} ${summary.state}${summary.error ? `: ${summary.error}` : '.'}`);
    this.options.logs.append(buildLogSource(run.id), level, `Build ${run.id} ${summary.state}${summary.error ? `: ${summary.error}` : '.'}`);
    let dropped: string[] = [];
    try {
      dropped = await this.history.add(summary);
    } catch (error) {
      this.options.logs.append('app', 'warn', `Could not save the build history: ${(error as Error).message}`);
    }
    this.emit(summary);
    for (const id of dropped) for (const listener of this.removedListeners) listener(id);
  }

  private emitSoon(run: BuildRun): void {
    if (this.pendingEmits.has(run.id) || !this.running.has(run.id)) return;
    this.pendingEmits.set(
      run.id,
      setTimeout(() => {
        this.pendingEmits.delete(run.id);
        if (this.running.has(run.id)) this.emit(viewOfRun(run));
      }, this.options.throttleMs ?? 100),
    );
  }

  private emit(view: BuildView): void {
    const shown = ours(view);
    for (const listener of this.buildListeners) listener(shown);
  }
}

/** A view without a source is one of ours (the history predates the field). */
function ours(view: BuildView): BuildView {
  return view.source ? view : { ...view, source: 'builder-bar' };
}

function viewOfRun(run: BuildRun): BuildView {
  const state = run.state();
  return {
    id: run.id,
    source: 'builder-bar',
    target: run.target,
    state,
    createdAt: run.createdAt,
    endedAt: null,
    exitCode: null,
    signal: null,
    error: null,
    ...shownDerivations(run.queue.derivations().map(derivationSummary)),
    progress: run.queue.progress(),
    outputPaths: [],
  };
}

function unknownBuild(id: string): BuilderBarError {
  return new BuilderBarError('invalid-request', `There is no build ${id}.`, 'builder-bar build --help shows how to start one; the UI lists the builds it keeps.');
}

/**
 * A file target is there before anything waits for the builder: a mistyped path would otherwise
 * start (or restore) the builder only for nix-build to say the file does not exist.
 */
async function assertBuildableFile(file: string): Promise<void> {
  const hint = 'Check the path: give a .nix file, a directory with a default.nix, or an installable such as nixpkgs#hello.';
  const found = await stat(file).catch(() => null);
  if (!found) throw new BuilderBarError('invalid-request', `Cannot build ${file}: there is no such file.`, hint);
  if (found.isDirectory() && !(await stat(path.join(file, 'default.nix')).then((inner) => inner.isFile(), () => false))) {
    throw new BuilderBarError('invalid-request', `Cannot build ${file}: it is a directory without a default.nix.`, hint);
  }
}

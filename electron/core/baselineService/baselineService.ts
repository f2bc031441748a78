/**
 * Incremental baselines, live: the tracked repositories (kept in the settings), each branch's
 * baseline as the engine computes it (FACTS.md section 3), recomputed only when something that
 * decides it changes: a ref moves (HEAD, refs, packed-refs are watched), a boundary rolls over
 * (one timer for the earliest), the repository's settings change, or the machine wakes up.
 * Prebuilding queues a baseline's full build in the build queue; baselineBuilds.ts remembers
 * which baseline made which output path, so each branch shows whether the build its incremental
 * build will reuse exists.
 */
import path from 'node:path';
import type {
  AddTrackedRepo,
  BaselinesList,
  BuildView,
  RepoBaselines,
  TrackedRepo,
} from '../../ipc/contract.js';
import { RepoBaselineEngine, type ComputedRepoBaselines } from '../baselines/index.js';
import { BuilderBarError } from '../errors.js';
import { expandFullBuildCommand } from '../incremental/expandFullBuildCommand.js';
import { assertFullBuildRunnable } from '../incremental/fullBuildNixSupport.js';
import type { LogSink } from '../logs/logSink.js';
import type { NixResolver } from '../nix/nixInstallation.js';
import type { SettingsStore } from '../settings/settingsStore.js';
import { BaselineBuilds } from './baselineBuilds.js';
import { RefWatcher } from './refWatcher.js';
import { repoIdentity } from './repoIdentity.js';
import { RolloverTimer } from './rolloverTimer.js';
import { assertBranchPattern, checkedRepoPath, newTrackedRepo } from './trackedRepoInput.js';
import { inBackground } from '../util/inBackground.js';
import type { ToolFinder } from '../host/toolSearchPath.js';

export type BaselineBuildTarget = {
  kind: 'baseline';
  repoId: string;
  branch: string;
  rev: string;
  argv: string[];
};

export interface BaselineServiceOptions {
  settings: Pick<SettingsStore, 'get' | 'update'>;
  /** Where git is found (the core's search path); default: `git` from this process's PATH. */
  tools?: Pick<ToolFinder, 'find'>;
  logs: LogSink;
  stateDir: string;
  /** Queues a build in the core's build queue. */
  startBuild: (target: BaselineBuildTarget) => Promise<BuildView>;
  /** Every build view the queue emits (to follow prebuilds). */
  onBuild: (listener: (view: BuildView) => void) => () => void;
  /** The environment Nix runs in for builds (to register the full builds as GC roots). */
  nixEnvironment: () => Promise<Record<string, string>>;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Whether a store path is (still) in the local Nix store. */
  storePathExists?: (storePath: string) => Promise<boolean>;
  /** How often each repository's path is checked (moved away, or back again), ms. */
  missingPollMs?: number;
  /** The Nix that builds (its version decides what a full-build command may ask of it) and roots the results. */
  nix: NixResolver;
}

interface TrackedRuntime {
  repo: TrackedRepo;
  engine: RepoBaselineEngine;
  watcher: RefWatcher;
  computed: ComputedRepoBaselines | null;
  /** The directory last seen at the path (repoIdentity.ts): another one means it was cloned again there. */
  identity: string | null;
  /** A recompute in flight; later requests chain after it so results arrive in order. */
  computing: Promise<void>;
}

export class BaselineService {
  private readonly runtimes = new Map<string, TrackedRuntime>();
  private readonly listeners = new Set<(list: BaselinesList) => void>();
  private readonly now: () => number;
  private readonly rollover: RolloverTimer;
  private readonly missingPoll: NodeJS.Timeout;
  private readonly unsubscribeBuilds: () => void;
  private closed = false;
  private readonly logError = (text: string): void => this.options.logs.append('app', 'error', text);

  private constructor(
    private readonly options: BaselineServiceOptions,
    private readonly builds: BaselineBuilds,
  ) {
    this.now = options.now ?? Date.now;
    this.rollover = new RolloverTimer(
      () => this.nextRollover(),
      () => inBackground(this.recomputeAll('a boundary rolled over'), 'Recomputing baselines after a rollover', this.logError),
      this.now,
    );
    // A moved or deleted work tree sends no event (a watch follows the moved directory), so
    // every repository's path is looked at now and then; a missing one is retried the same way.
    this.missingPoll = setInterval(() => {
      for (const runtime of this.runtimes.values()) {
        inBackground(this.recomputeIfMovedOrBack(runtime), `Looking for ${runtime.repo.path}`, this.logError);
      }
    }, options.missingPollMs ?? 10_000);
    this.missingPoll.unref();
    this.unsubscribeBuilds = options.onBuild((view) => {
      const followed = this.builds.follow(view).then((changed) => {
        if (changed) this.announce();
      });
      inBackground(followed, 'Following a prebuild', this.logError);
    });
  }

  static async open(options: BaselineServiceOptions): Promise<BaselineService> {
    const service = new BaselineService(options, await BaselineBuilds.open(options));
    // The first computation reads each repository's whole history; the core does not wait for
    // it. Until it ends the repository shows as `computing`, then an event brings the result.
    for (const repo of options.settings.get().trackedRepos) {
      service.track(repo).then(
        () => {
          service.rollover.kick();
          service.announce();
        },
        (error: unknown) => options.logs.append('app', 'error', `Baselines of "${repo.id}" could not be followed: ${(error as Error).message}`),
      );
    }
    return service;
  }

  list(): BaselinesList {
    return { repos: [...this.runtimes.values()].map((runtime) => this.viewOf(runtime)) };
  }

  onChange(listener: (list: BaselinesList) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async addRepo(input: AddTrackedRepo): Promise<BaselinesList> {
    assertBranchPattern(input.branchPattern);
    const checked = await checkedRepoPath(input.path, await this.gitProgram());
    let repo: TrackedRepo | undefined;
    // An updater: the list is read when the change's turn comes, so two adds at once both stay.
    await this.options.settings.update(async ({ trackedRepos: current }) => {
      repo = await newTrackedRepo(current, input, checked);
      return { trackedRepos: [...current, repo] };
    });
    if (!repo) throw new Error('the settings store did not run the update');
    this.options.logs.append('app', 'info', `Tracking ${repo.path} as "${repo.id}" (interval ${repo.intervalSeconds} s, ${repo.timeSource}).`);
    await this.track(repo);
    this.rollover.kick();
    this.announce();
    return this.list();
  }

  async removeRepo(id: string): Promise<BaselinesList> {
    await this.options.settings.update(({ trackedRepos: current }) => {
      if (!current.some((repo) => repo.id === id)) throw unknownRepo(id);
      return { trackedRepos: current.filter((repo) => repo.id !== id) };
    });
    const runtime = this.runtimes.get(id);
    this.runtimes.delete(id);
    runtime?.watcher.close();
    if (runtime) await this.dropCacheUnlessShared(id, runtime.engine);
    await this.builds.forget(id);
    this.options.logs.append('app', 'info', `Stopped tracking "${id}" (its full builds stay in the Nix store until collected).`);
    this.rollover.kick();
    this.announce();
    return this.list();
  }

  /**
   * The history cache is one file per git common dir: two tracked worktrees of one repository
   * share it, so it goes with the last of them (removing one made the other read its whole
   * history again at the next start).
   */
  private async dropCacheUnlessShared(id: string, engine: RepoBaselineEngine): Promise<void> {
    const commonDir = await engine.commonDir();
    for (const other of this.runtimes.values()) {
      if (commonDir !== null && (await other.engine.commonDir()) === commonDir) {
        engine.close();
        return;
      }
    }
    await engine.dropCache().catch((error: unknown) => this.logError(`The baseline cache of "${id}" could not be removed: ${(error as Error).message}`));
  }

  async updateRepo(id: string, patch: Partial<Omit<TrackedRepo, 'id' | 'path'>>): Promise<BaselinesList> {
    assertBranchPattern(patch.branchPattern);
    let updated: TrackedRepo | undefined;
    await this.options.settings.update(({ trackedRepos: current }) => {
      const existing = current.find((repo) => repo.id === id);
      if (!existing) throw unknownRepo(id);
      const changed: TrackedRepo = { ...existing, ...patch };
      updated = changed;
      return { trackedRepos: current.map((repo) => (repo.id === id ? changed : repo)) };
    });
    if (!updated) throw new Error('the settings store did not run the update');
    const runtime = this.runtimes.get(id);
    if (runtime) {
      runtime.repo = updated;
      await this.recompute(runtime);
    }
    this.rollover.kick();
    this.announce();
    return this.list();
  }

  /** Queues the full build of `branch`'s baseline; a no-op when it is built, queued or building. */
  async prebuild(repoId: string, branch: string): Promise<BaselinesList> {
    const runtime = this.runtimes.get(repoId);
    if (!runtime) throw unknownRepo(repoId);
    if (!runtime.computed) {
      throw new BuilderBarError('invalid-request', `The baselines of "${repoId}" are still being computed.`, 'Prebuild once the Baselines panel shows its branches.');
    }
    if (runtime.computed.state !== 'ok') {
      throw new BuilderBarError('invalid-request', `"${repoId}" cannot be read right now: ${runtime.computed.message ?? runtime.computed.state}.`, null);
    }
    const entry = runtime.computed.branches.find((candidate) => candidate.branch === branch);
    if (!entry) {
      throw new BuilderBarError('invalid-request', `"${repoId}" has no tracked branch named ${JSON.stringify(branch)}.`, 'The Baselines panel lists its branches.');
    }
    const sha = entry.baseline.sha;
    const argv = expandFullBuildCommand(runtime.repo.fullBuild, { rev: sha, repo: runtime.repo.path, branch });
    await assertFullBuildRunnable(runtime.repo.fullBuild, runtime.repo.path, async () => {
      const nix = await this.options.nix.resolve();
      return nix.found ? nix.installation : null;
    });
    const view = this.builds.stateOf(runtime.repo, sha);
    if (view.state === 'queued' || view.state === 'building' || view.state === 'built') return this.list();
    const build = await this.options.startBuild({ kind: 'baseline', repoId, branch, rev: sha, argv });
    await this.builds.started(runtime.repo, sha, build);
    this.options.logs.append('app', 'info', `Prebuilding the baseline ${sha.slice(0, 12)} of ${JSON.stringify(branch)} in "${repoId}" (build ${build.id}).`);
    this.announce();
    return this.list();
  }

  /** After a wake-up: boundaries may have passed while asleep, refs may have moved. */
  async resumed(): Promise<void> {
    await this.recomputeAll('the machine woke up');
  }

  close(): void {
    this.closed = true;
    this.rollover.close();
    clearInterval(this.missingPoll);
    this.unsubscribeBuilds();
    for (const runtime of this.runtimes.values()) {
      runtime.watcher.close();
      runtime.engine.close();
    }
    this.runtimes.clear();
    this.listeners.clear();
  }

  /** git by its absolute path on the search path; a bare `git` when none is there, so running it says it is missing. */
  private async gitProgram(): Promise<string> {
    return (await this.options.tools?.find('git'))?.path ?? 'git';
  }

  private async track(repo: TrackedRepo): Promise<void> {
    const engine = await this.engineFor(repo);
    const runtime: TrackedRuntime = { repo, engine, computed: null, identity: null, computing: Promise.resolve(), watcher: this.watcherFor(() => runtime) };
    // Shown (as computing) from now on: the directory is looked at after, not before.
    this.runtimes.set(repo.id, runtime);
    runtime.identity = await repoIdentity(repo.path);
    await this.recompute(runtime);
    // Closed or untracked while the first computation ran: nothing left to watch for.
    if (this.closed || this.runtimes.get(repo.id) !== runtime) return;
    await runtime.watcher.start();
  }

  private async engineFor(repo: TrackedRepo): Promise<RepoBaselineEngine> {
    // The engine's graph cache lives in the state dir: a restarted core reads only new history.
    return new RepoBaselineEngine(repo.path, {
      git: await this.gitProgram(),
      cacheDir: path.join(this.options.stateDir, 'baseline-graphs'),
      onCacheError: (message) => this.options.logs.append('app', 'warn', message),
    });
  }

  /** Watches whatever engine the runtime has by then (a repository cloned again gets a new one). */
  private watcherFor(runtimeOf: () => TrackedRuntime): RefWatcher {
    return new RefWatcher(
      () => runtimeOf().engine.watchPaths(),
      () => {
        const runtime = runtimeOf();
        const afterCommit = this.recompute(runtime).then(() => {
          this.rollover.kick();
          this.announce();
        });
        inBackground(afterCommit, `Following a change in ${runtime.repo.path}`, this.logError);
      },
    );
  }

  private async recomputeAll(why: string): Promise<void> {
    if (this.closed) return;
    this.options.logs.append('app', 'debug', `Recomputing baselines: ${why}.`);
    await Promise.all([...this.runtimes.values()].map((runtime) => this.recompute(runtime)));
    this.rollover.kick();
    this.announce();
  }

  /**
   * Chains one computation after the previous one. A step that fails is logged and ends there:
   * the chain itself always resolves, or one failure (a full disk, a broken root link) would
   * leave it rejected and every later commit of the repository unseen until a restart.
   */
  private recompute(runtime: TrackedRuntime): Promise<void> {
    runtime.computing = runtime.computing.then(async () => {
      if (this.closed) return;
      const { repo } = runtime;
      const computed = await runtime.engine.compute({
        intervalSeconds: repo.intervalSeconds,
        timeSource: repo.timeSource,
        branchPattern: repo.branchPattern,
        now: Math.floor(this.now() / 1000),
      });
      const wasMissing = runtime.computed?.state === 'missing';
      runtime.computed = computed;
      if (computed.state !== 'ok' && !wasMissing) {
        this.options.logs.append('app', 'warn', `Baselines of "${repo.id}": ${computed.message ?? computed.state}`);
      }
      if (wasMissing && computed.state === 'ok') inBackground(runtime.watcher.start(), `Watching ${repo.path} again`, this.logError);
      const inUse = new Set(computed.branches.map((branch) => branch.baseline.sha));
      await this.builds.refreshPresence(repo, inUse);
      if (computed.state === 'ok') await this.builds.pruneRoots(repo.id, inUse);
    }).catch((error: unknown) => {
      this.options.logs.append('app', 'error', `Baselines of "${runtime.repo.id}" could not be computed: ${(error as Error).message}`);
    });
    return runtime.computing;
  }

  /**
   * A work tree that disappeared, or came back, is computed again (and shown as such). One
   * cloned again at the same path gets a new engine and new watches: the old ones held the
   * deleted directories (and their git processes ran in them), so no commit was seen again.
   */
  private async recomputeIfMovedOrBack(runtime: TrackedRuntime): Promise<void> {
    const wasMissing = runtime.computed?.state === 'missing';
    const identity = await repoIdentity(runtime.repo.path);
    const replaced = identity !== null && runtime.identity !== null && identity !== runtime.identity;
    if (identity !== null) runtime.identity = identity;
    if (!replaced && (identity !== null) !== wasMissing) return;
    if (replaced && this.runtimes.get(runtime.repo.id) === runtime && !this.closed) {
      this.options.logs.append('app', 'info', `${runtime.repo.path} is another directory now (cloned again?): reading it afresh.`);
      runtime.watcher.close();
      runtime.engine.close();
      runtime.engine = await this.engineFor(runtime.repo);
      runtime.watcher = this.watcherFor(() => runtime);
      await this.recompute(runtime);
      if (this.runtimes.get(runtime.repo.id) === runtime && !this.closed) await runtime.watcher.start();
    } else {
      await this.recompute(runtime);
    }
    this.announce();
  }

  private viewOf(runtime: TrackedRuntime): RepoBaselines {
    const computed = runtime.computed;
    const nowSeconds = Math.floor(this.now() / 1000);
    if (!computed) {
      const message = 'Reading the history to find each branch\'s baseline…';
      return { repo: runtime.repo, state: 'computing', message, shallow: false, computedAt: nowSeconds, branches: [], groups: [] };
    }
    return {
      repo: runtime.repo,
      state: computed.state,
      message: computed.message,
      shallow: computed.shallow,
      computedAt: computed.computedAt,
      branches: computed.branches.map((branch) => ({ ...branch, prebuild: this.builds.stateOf(runtime.repo, branch.baseline.sha) })),
      groups: computed.groups,
    };
  }

  /** The earliest rollover of a wall-clock repository (a tip-commit baseline moves only with its tip). */
  private nextRollover(): number | null {
    let next: number | null = null;
    for (const runtime of this.runtimes.values()) {
      if (runtime.repo.timeSource !== 'wall-clock' || runtime.computed?.state !== 'ok') continue;
      for (const branch of runtime.computed.branches) if (next === null || branch.nextRollover < next) next = branch.nextRollover;
    }
    return next;
  }

  private announce(): void {
    if (this.closed) return;
    const list = this.list();
    for (const listener of this.listeners) listener(list);
  }
}

function unknownRepo(id: string): BuilderBarError {
  return new BuilderBarError('invalid-request', `No tracked repository is named "${id}".`, 'builder-bar baselines and the Baselines panel list the tracked ones.');
}

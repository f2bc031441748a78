/**
 * The baselines' full builds as the service shows them: which build made which baseline
 * (prebuildRecords.ts), whether its output is still in the store, and the GC roots that keep
 * the ones a branch still uses (gcRoots.ts). The service decides what to build and when; this
 * keeps what came of it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BranchBaseline, BuildView, TrackedRepo } from '../../ipc/contract.js';
import type { LogSink } from '../logs/logSink.js';
import type { NixResolver } from '../nix/nixInstallation.js';
import { GcRoots } from './gcRoots.js';
import { PrebuildRecords } from './prebuildRecords.js';

export interface BaselineBuildsOptions {
  stateDir: string;
  logs: LogSink;
  /** The environment Nix runs in for builds (to register the full builds as GC roots). */
  nixEnvironment: () => Promise<Record<string, string>>;
  nix: NixResolver;
  now?: () => number;
  /** Whether a store path is (still) in the local Nix store. */
  storePathExists?: (storePath: string) => Promise<boolean>;
}

export class BaselineBuilds {
  /** Output path -> whether it was in the store when last looked at. */
  private readonly storePresence = new Map<string, boolean>();
  private readonly storePathExists: (storePath: string) => Promise<boolean>;
  private readonly gcRoots: GcRoots;

  private constructor(
    private readonly options: BaselineBuildsOptions,
    private readonly records: PrebuildRecords,
  ) {
    this.storePathExists = options.storePathExists ?? pathExists;
    this.gcRoots = new GcRoots(path.join(options.stateDir, 'gcroots'), options.nixEnvironment, options.nix);
  }

  static async open(options: BaselineBuildsOptions): Promise<BaselineBuilds> {
    const records = new PrebuildRecords(options.stateDir, options.now);
    const loaded = await records.load();
    if (loaded.movedAsideTo) {
      options.logs.append('app', 'warn', `The prebuild records could not be read; they were moved to ${loaded.movedAsideTo}.`);
    }
    return new BaselineBuilds(options, records);
  }

  /** Where the full build of `repo`'s baseline `sha` stands, as a branch shows it. */
  stateOf(repo: TrackedRepo, sha: string): BranchBaseline['prebuild'] {
    const record = this.records.find(repo.id, sha, repo.fullBuild);
    return PrebuildRecords.view(record, record?.outPath ? (this.storePresence.get(record.outPath) ?? true) : false);
  }

  /** A full build was queued for the baseline `sha` of `repo`. */
  async started(repo: TrackedRepo, sha: string, build: BuildView): Promise<void> {
    await this.records.started(repo.id, sha, repo.fullBuild, build.id);
    await this.records.follow(build);
  }

  /**
   * Takes in a build view from the queue; true when it was one of the baselines' builds (its
   * state shows differently now). A finished one is rooted and logged.
   */
  async follow(view: BuildView): Promise<boolean> {
    if (view.target.kind !== 'baseline') return false;
    if (!(await this.records.follow(view))) return false;
    const outPath = view.outputPaths[0];
    if (view.state === 'succeeded' && outPath) {
      this.storePresence.set(outPath, true);
      try {
        await this.gcRoots.add(view.target.repoId, view.target.rev, outPath);
      } catch (error) {
        this.options.logs.append('app', 'warn', `The full build ${outPath} is not protected from garbage collection: ${(error as Error).message}`);
      }
    }
    if (view.state === 'succeeded' || view.state === 'failed') {
      this.options.logs.append(
        'app',
        view.state === 'failed' ? 'warn' : 'info',
        `The baseline ${view.target.rev.slice(0, 12)} of "${view.target.repoId}" ${view.state === 'succeeded' ? `is built: ${outPath ?? '(no output path)'}` : `failed to build: ${view.error ?? 'see its log'}`}.`,
      );
    }
    return true;
  }

  /** Checks, once per computation, whether each built baseline's output is still in the store. */
  async refreshPresence(repo: TrackedRepo, shas: ReadonlySet<string>): Promise<void> {
    for (const sha of shas) {
      const record = this.records.find(repo.id, sha, repo.fullBuild);
      if (record?.state === 'built' && record.outPath) this.storePresence.set(record.outPath, await this.storePathExists(record.outPath));
    }
  }

  /** Roots of baselines that no branch of the repository uses any more can go. */
  async pruneRoots(repoId: string, inUse: ReadonlySet<string>): Promise<void> {
    const dropped = await this.gcRoots.prune(repoId, inUse);
    if (dropped.length > 0) {
      this.options.logs.append('app', 'info', `"${repoId}": ${dropped.length} old baseline full build(s) may now be garbage-collected (no branch uses them).`);
    }
  }

  /** An untracked repository: its records and roots go (its outputs stay in the store until collected). */
  async forget(repoId: string): Promise<void> {
    await this.records.forgetRepo(repoId);
    await this.gcRoots.prune(repoId, new Set());
  }
}

async function pathExists(storePath: string): Promise<boolean> {
  // Store paths are absolute and read-only; lstat (not stat) so a dangling symlink output still counts.
  if (!path.isAbsolute(storePath)) return false;
  return fs.lstat(storePath).then(
    () => true,
    () => false,
  );
}

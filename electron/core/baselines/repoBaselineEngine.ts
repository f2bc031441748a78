/**
 * Baselines for every branch of one repository (FACTS.md section 3), computed from an
 * in-memory commit graph instead of one `git rev-list` per branch: each call runs
 * `for-each-ref` (repoRefs.ts), the truth about the refs, and beside it learns the commits of
 * tips it has not seen (its known history, knownHistory.ts): from the cat-file it keeps running between computations, which says
 * where the known branches point now and reads what they gained (movedTips.ts, runningGit.ts),
 * or else from `rev-list --parents --timestamp --branches ^known`; `rev-list new ^known` reads
 * whatever either missed (a new branch, a ref that moved again). It asks git only for what the
 * graph cannot tell: subjects of new baselines (one `rev-list --no-walk`) and files changed for
 * new (baseline, tip) pairs (the running diff-tree, or one `diff-tree --stdin`, asked for a
 * moved branch against its old baseline while its commits are read). After one ref moves, the
 * only new process is for-each-ref. A branch whose tip and boundary did not move keeps its
 * cached answer. Refs enter git's command lines only as full ids after `--end-of-options`, or
 * as the `--branches=` pattern the user chose, never by name; on stdin as full ids, or as the
 * full names for-each-ref listed (`refs/heads/…`, to the running cat-file, whose answer is
 * only a guess for for-each-ref to confirm).
 *
 * With nothing cached, the first computation reads only recent history (recentHistory.ts)
 * and an engine with a cache dir then reads the whole graph in the background. With a cache
 * directory (Builder Bar's state, never the repository), a new engine starts from what an
 * earlier one saved (graphCache.ts) and asks git only about tips it has not seen; the cache is
 * written a little after a computation that learnt something, and on `persist()`.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BaselineTimeSource } from '../../ipc/baselinesContract.js';
import { assembleResult, type ComputedBranchBaseline, type ComputedRepoBaselines, type WalkAnswer } from './baselineResult.js';
import { countCommitsBetween, findBaseline, onFirstParentLine } from './baselineWalk.js';
import { boundaryFor } from './boundary.js';
import { readCommitDetails } from './commitDetails.js';
import { GitFailure, GitRunner } from './gitRunner.js';
import { graphCacheFile, readGraphCache, writeGraphCache } from './graphCache.js';
import { KnownHistory } from './knownHistory.js';
import { readMovedTips, type MovedTips } from './movedTips.js';
import { answersFromRecentHistory, type RecentAnswer } from './recentHistory.js';
import { readRepoRefs, type TrackedTip } from './repoRefs.js';
import { RunningGit } from './runningGit.js';

export type { ComputedBranchBaseline, ComputedRepoBaselines };

export interface BaselineQuery {
  intervalSeconds: number;
  timeSource: BaselineTimeSource;
  /** A `git for-each-ref` pattern under refs/heads, or null for every local branch. */
  branchPattern: string | null;
  /** Epoch seconds: T for `wall-clock`, and `computedAt`. */
  now: number;
}

interface GitDirs {
  gitDir: string;
  commonDir: string;
}

export interface RepoBaselineEngineOptions {
  git?: string;
  /** A directory of Builder Bar's own state for the on-disk cache; none: no cache. */
  cacheDir?: string;
  /** How long after a computation that learnt something the cache is written (ms). */
  persistDelayMs?: number;
  /** A cache that could not be written (the engine goes on without it). */
  onCacheError?: (message: string) => void;
}

export class RepoBaselineEngine {
  private readonly git: GitRunner;
  private readonly history: KnownHistory;
  private readonly answers = new Map<string, WalkAnswer>();
  /** Each branch's answer in the latest computation: a guess at a moved branch's baseline. */
  private previous = new Map<string, WalkAnswer>();
  /** The tips of the latest computation: what a running cat-file is asked about next time. */
  private previousTips: TrackedTip[] = [];
  private readonly running: RunningGit;
  private readonly commits = new Map<string, { subject: string; authorTime: number }>();
  private readonly filesChanged = new Map<string, number>();
  private dirs: GitDirs | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Whether the cache file was looked at (once, by the first computation). */
  private cacheRead = false;
  /** Whether the graph or the details hold something the cache file does not. */
  private dirty = false;
  private persistTimer: NodeJS.Timeout | null = null;
  /** After `close`: no cache write is scheduled any more (a computation in flight may still end). */
  private closed = false;
  /** The common dir and tips of the latest successful computation: what `persist` writes. */
  private latest: { commonDir: string; tips: string[] } | null = null;

  constructor(
    readonly repoPath: string,
    private readonly options: RepoBaselineEngineOptions = {},
  ) {
    this.git = new GitRunner(repoPath, options.git);
    this.running = new RunningGit(this.git);
    this.history = new KnownHistory(this.git, {
      onReset: () => {
        // Running git read replace refs when it started: after a reset it starts again.
        this.running.stop();
        this.answers.clear();
        this.filesChanged.clear();
      },
      onLearnt: () => {
        this.dirty = true;
      },
    });
  }

  /** Writes the cache now if it lacks anything (after the computations already asked for). */
  persist(): Promise<void> {
    const run = this.queue.then(() => this.persistNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Stops a pending cache write and any later one (the engine is no longer used). */
  close(): void {
    this.closed = true;
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = null;
    this.running.stop(true);
  }

  /** The repository's git common dir, which names its cache file; null when git cannot say. */
  async commonDir(): Promise<string | null> {
    return (this.latest ?? (await this.gitDirs().catch(() => ({ commonDir: null })))).commonDir;
  }

  /** Removes this repository's cache file (it is no longer tracked). */
  async dropCache(): Promise<void> {
    this.close();
    const { cacheDir } = this.options;
    if (cacheDir === undefined) return;
    const commonDir = await this.commonDir();
    if (commonDir !== null) await rm(graphCacheFile(cacheDir, commonDir), { force: true });
  }

  /** Full or incremental: repeated calls reuse what is cached and recompute only branches whose tip moved or whose boundary changed. Calls run one at a time. */
  compute(query: BaselineQuery): Promise<ComputedRepoBaselines> {
    const run = this.queue.then(() => this.computeNow(query));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Paths whose change means refs may have moved (HEAD, refs/heads, packed-refs, shallow). Git replaces these files by rename, so watch their directories and filter by name. */
  async watchPaths(): Promise<string[]> {
    const { gitDir, commonDir } = await this.gitDirs();
    return [...new Set([path.join(gitDir, 'HEAD'), path.join(commonDir, 'refs', 'heads'), path.join(commonDir, 'packed-refs'), path.join(commonDir, 'shallow')])];
  }

  private async computeNow(query: BaselineQuery): Promise<ComputedRepoBaselines> {
    const empty = (state: 'missing' | 'error', message: string): ComputedRepoBaselines => ({ state, message, shallow: false, computedAt: query.now, branches: [], groups: [] });
    try {
      await stat(this.repoPath);
    } catch {
      this.dirs = null;
      this.running.stop();
      return empty('missing', `${this.repoPath} does not exist: the repository was moved or deleted. Move it back, or remove it and add it again at its new path.`);
    }
    try {
      const result = await this.computeInRepo(query);
      if (this.dirty) this.schedulePersist();
      this.running.startSoon(this.previousTips);
      return result;
    } catch (error) {
      this.dirs = null;
      this.running.stop();
      const message = error instanceof Error ? error.message : String(error);
      return empty('error', `${message} (in ${this.repoPath})`);
    }
  }

  private async computeInRepo(query: BaselineQuery): Promise<ComputedRepoBaselines> {
    const { gitDir, commonDir } = await this.gitDirs();
    // Asked of the running cat-file first, so it answers while node is busy starting for-each-ref.
    const moved = this.readMovedTips(commonDir);
    const batch = this.history.graph.size > 0 ? this.running.catFile : null;
    const refsRead = readRepoRefs(this.git, gitDir, query.branchPattern, batch ? { batch, isKnownCommit: this.history.holds } : undefined);
    // A moved branch usually keeps its baseline: its files changed against that baseline are
    // asked for as soon as cat-file or the refs say it moved, while its new commits are read,
    // so the common case does not wait for two rounds of git processes in a row.
    const firstTips = moved.then((found) => found?.tips ?? refsRead.then((refs) => refs.tips));
    const guessed = firstTips.then((tips) => {
      const guesses = this.guessedPairs(tips, query);
      return guesses.length > 0 ? this.loadFilesChanged(guesses).catch(() => undefined) : undefined;
    });
    guessed.catch(() => undefined);
    const [{ tips, replaceRefs }, shallowText] = await Promise.all([
      refsRead,
      readFile(path.join(commonDir, 'shallow'), 'utf8').catch(() => ''),
      moved.then((found) => (found ? this.history.addMovedTips(found) : this.history.readBranchesAhead(query.branchPattern))),
      guessed,
    ]);

    // Commits never change, but their parents as git sees them do when the clone is
    // deepened or a replace ref moves: then everything is read again.
    const shallowShas = shallowText.split('\n').filter(Boolean).sort();
    const graphKey = `${shallowShas.join(',')}\n${replaceRefs.join('\n')}`;
    if (!this.cacheRead && this.options.cacheDir !== undefined) {
      this.cacheRead = true;
      const cached = await readGraphCache(graphCacheFile(this.options.cacheDir, commonDir), commonDir, graphKey);
      if (cached) {
        this.history.adopt(graphKey, cached.graph, cached.tips);
        for (const [sha, details] of cached.commits) this.commits.set(sha, details);
        for (const [pair, count] of cached.filesChanged) this.filesChanged.set(pair, count);
      }
    }
    if (graphKey !== this.history.key) this.history.reset(graphKey);
    const recent = await this.recentAnswers(tips, query, shallowShas);
    let answers: WalkAnswer[];
    let timeOf: (sha: string) => number;
    if (recent) {
      answers = recent.answers;
      timeOf = (sha) => recent.times.get(sha) as number;
    } else {
      await this.history.loadTips(tips.map((tip) => tip.tip));
      // Taken after the read: a read that had to start over holds a new graph.
      const { graph } = this.history;
      const shallow = new Set<number>();
      for (const sha of shallowShas) {
        const index = graph.indexOf(sha);
        if (index !== undefined) shallow.add(index);
      }
      answers = tips.map((tracked) => this.answerFor(tracked, query, shallow));
      timeOf = (sha) => graph.timeOf(graph.loadedIndexOf(sha) as number);
    }
    // Independent questions to git: asked at once, so a moved ref waits for one process, not two.
    await Promise.all([this.loadCommitDetails(answers), this.loadFilesChanged(answers)]);

    this.forgetAllBut(answers);
    this.previous = new Map(tips.map((tracked, i) => [tracked.branch, answers[i] as WalkAnswer]));
    this.previousTips = tips;
    this.latest = { commonDir, tips: [...new Set(tips.map((tracked) => tracked.tip))] };

    return assembleResult({
      tips,
      answers,
      query,
      timeOf,
      detailsOf: (sha) => this.commits.get(sha),
      filesChangedOf: (answer) => this.filesChanged.get(pairKey(answer)) ?? 0,
      shallow: shallowShas.length > 0,
    });
  }

  private answerFor(tracked: TrackedTip, query: BaselineQuery, shallow: ReadonlySet<number>): WalkAnswer {
    const { graph } = this.history;
    const tip = graph.loadedIndexOf(tracked.tip);
    if (tip === undefined) throw new GitFailure(`commit ${tracked.tip} of ${tracked.branch} was not read from the repository`, null);
    const time = query.timeSource === 'tip-commit' ? graph.timeOf(tip) : query.now;
    const boundary = boundaryFor(time, query.intervalSeconds);
    const key = `${tracked.tip} ${boundary}`;
    const cached = this.answers.get(key);
    if (cached) return cached;
    const walk = findBaseline(graph, tip, boundary, shallow);
    const answer: WalkAnswer = {
      tip: tracked.tip,
      boundary,
      baseline: graph.shaOf(walk.baseline),
      rootFallback: walk.rootFallback,
      crossedShallowBoundary: walk.crossedShallowBoundary || shallow.has(walk.baseline),
      offFirstParent: !onFirstParentLine(graph, walk.baseline, tip),
      commitsSince: countCommitsBetween(graph, walk.baseline, tip),
    };
    this.answers.set(key, answer);
    return answer;
  }

  /**
   * The first computation with nothing cached answers from recent history (recentHistory.ts), a
   * little of what the whole graph costs; a long-lived engine (one with a cache) then reads the
   * whole graph in the background, so later computations read only new commits. Null: the
   * whole graph is needed now.
   */
  private async recentAnswers(tips: readonly TrackedTip[], query: BaselineQuery, shallowShas: readonly string[]): Promise<{ answers: WalkAnswer[]; times: Map<string, number> } | null> {
    if (this.history.graph.size > 0 || this.answers.size > 0 || query.timeSource !== 'wall-clock' || tips.length === 0) return null;
    const boundary = boundaryFor(query.now, query.intervalSeconds);
    // Files changed need only the baselines: asked for while git reads what the counts need.
    let filesChanged: Promise<void> | undefined;
    const recent = await answersFromRecentHistory(this.git, tips.map((tracked) => tracked.tip), boundary, shallowShas, (pairs) => {
      filesChanged = this.loadFilesChanged(pairs).catch(() => undefined);
    });
    await filesChanged;
    if (recent === null) return null;
    const answers = tips.map((tracked): WalkAnswer => {
      const key = `${tracked.tip} ${boundary}`;
      const known = this.answers.get(key);
      if (known) return known;
      const answer: WalkAnswer = { tip: tracked.tip, boundary, ...(recent.answers.get(tracked.tip) as RecentAnswer) };
      this.answers.set(key, answer);
      return answer;
    });
    for (const [sha, details] of recent.details) if (answers.some((answer) => answer.baseline === sha)) this.commits.set(sha, details);
    if (this.options.cacheDir !== undefined && !this.closed) {
      const whole = [...new Set(tips.map((tracked) => tracked.tip))];
      const read = this.queue.then(() => this.readWholeGraph(whole));
      this.queue = read.catch(() => undefined);
    }
    return { answers, times: recent.times };
  }

  /** The background read after a first answer from recent history; a failure waits for the next computation, which reads what is missing. */
  private async readWholeGraph(tips: readonly string[]): Promise<void> {
    if (this.closed || this.history.graph.size > 0) return;
    try {
      await this.history.loadTips(tips);
    } catch {
      this.history.reset(this.history.key);
      return;
    }
    this.schedulePersist();
  }

  /**
   * After a computation, a running cat-file says where the same branches point now and reads
   * the commits they gained (movedTips.ts). Null when there is no cat-file or nothing to ask
   * about, or when it declined (a long or odd history, grafts, which cat-file's raw objects do
   * not apply): the rev-list read ahead runs instead.
   */
  private async readMovedTips(commonDir: string): Promise<MovedTips | null> {
    const batch = this.running.catFile;
    if (!batch || this.history.graph.size === 0 || this.previousTips.length === 0) return null;
    const found = readMovedTips(batch, this.previousTips, this.history.holds).catch(() => null);
    const grafted = await stat(path.join(commonDir, 'info', 'grafts')).then(
      () => true,
      () => false,
    );
    return grafted ? null : found;
  }

  private async loadCommitDetails(answers: readonly WalkAnswer[]): Promise<void> {
    const wanted = [...new Set(answers.map((answer) => answer.baseline))].filter((sha) => !this.commits.has(sha));
    if (wanted.length === 0) return;
    this.dirty = true;
    for (const [sha, details] of await readCommitDetails(this.git, wanted)) this.commits.set(sha, details);
  }

  /** Files changed for every pair not counted yet, in one process. */
  private async loadFilesChanged(answers: readonly { tip: string; baseline: string }[]): Promise<void> {
    const pairs = [...new Map(answers.map((answer) => [pairKey(answer), answer])).values()].filter((answer) => !this.filesChanged.has(pairKey(answer)));
    if (pairs.length === 0) return;
    this.dirty = true;
    const counts = await this.running.filesChanged(pairs);
    pairs.forEach((answer, i) => this.filesChanged.set(pairKey(answer), counts[i] as number));
  }

  /** (new tip, baseline before) for branches that moved since the latest computation, with the same boundary and no files-changed count yet. */
  private guessedPairs(tips: readonly TrackedTip[], query: BaselineQuery): { tip: string; baseline: string }[] {
    if (query.timeSource !== 'wall-clock') return [];
    const boundary = boundaryFor(query.now, query.intervalSeconds);
    const guesses = new Map<string, { tip: string; baseline: string }>();
    for (const tracked of tips) {
      const before = this.previous.get(tracked.branch);
      if (!before || before.tip === tracked.tip || before.boundary !== boundary || this.answers.has(`${tracked.tip} ${boundary}`)) continue;
      const guess = { tip: tracked.tip, baseline: before.baseline };
      if (!this.filesChanged.has(pairKey(guess))) guesses.set(pairKey(guess), guess);
    }
    return [...guesses.values()];
  }

  /** Keeps the caches to what the latest call used, so a long-running core does not grow. */
  private forgetAllBut(answers: readonly WalkAnswer[]): void {
    const used = new Set(answers);
    for (const [key, answer] of this.answers) if (!used.has(answer)) this.answers.delete(key);
    const pairs = new Set(answers.map(pairKey));
    for (const key of this.filesChanged.keys()) if (!pairs.has(key)) this.filesChanged.delete(key);
    const baselines = new Set(answers.map((answer) => answer.baseline));
    for (const sha of this.commits.keys()) if (!baselines.has(sha)) this.commits.delete(sha);
  }

  private async gitDirs(): Promise<GitDirs> {
    if (this.dirs) return this.dirs;
    const output = await this.git.ok(['rev-parse', '--git-dir', '--git-common-dir']);
    const [gitDir = '', commonDir = ''] = output.trim().split('\n');
    this.dirs = { gitDir: path.resolve(this.repoPath, gitDir), commonDir: path.resolve(this.repoPath, commonDir) };
    return this.dirs;
  }

  private schedulePersist(): void {
    if (this.options.cacheDir === undefined || this.persistTimer || this.closed) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      this.persist().catch((error: unknown) => this.options.onCacheError?.(`The baseline cache of ${this.repoPath} could not be written: ${error instanceof Error ? error.message : String(error)}`));
    }, this.options.persistDelayMs ?? 5000);
    this.persistTimer.unref();
  }

  private async persistNow(): Promise<void> {
    const { cacheDir } = this.options;
    const { graph, key } = this.history;
    if (cacheDir === undefined || !this.dirty || this.latest === null || key === null || !graph.isClosed()) return;
    // After a first answer from recent history the graph may not hold the tips yet: nothing to save.
    if (this.latest.tips.some((sha) => !this.history.holds(sha))) return;
    this.dirty = false;
    try {
      await writeGraphCache(graphCacheFile(cacheDir, this.latest.commonDir), {
        commonDir: this.latest.commonDir,
        graphKey: key,
        graph,
        tips: this.latest.tips,
        commits: this.commits,
        filesChanged: this.filesChanged,
      });
    } catch (error) {
      this.dirty = true;
      throw error;
    }
  }
}

function pairKey(answer: { tip: string; baseline: string }): string {
  return `${answer.baseline} ${answer.tip}`;
}

/**
 * The history a baseline engine knows: its commit graph (commitGraph.ts), the tips whose whole
 * history the graph holds, and the key of the repository state it was read under (the shallow
 * boundary and the replace refs: when either changes, parents as git sees them change, and
 * everything is read again). It grows three ways, each reading only commits it lacks:
 * - `readBranchesAhead`: `rev-list --branches ^known` while for-each-ref lists the branches;
 * - `addMovedTips`: what a running cat-file walked from the branches that moved (movedTips.ts);
 * - `loadTips`: `rev-list tips ^known` for whatever those missed, or everything when a known tip
 *   was pruned since (a repository rewritten, or replaced under the same path).
 * A read that leaves the graph with a parent it never loaded drops the graph instead of
 * guessing; the engine's answers and counts depend on it, so it hears of each drop (`onReset`)
 * and of anything learnt that its cache file lacks (`onLearnt`).
 */
import { CommitGraph } from './commitGraph.js';
import { GitFailure, type GitRunner } from './gitRunner.js';
import type { MovedTips } from './movedTips.js';

export interface KnownHistoryEvents {
  /** The graph was dropped: whatever was computed from it is stale. */
  onReset: () => void;
  /** The graph learnt commits the cache file does not hold. */
  onLearnt: () => void;
}

export class KnownHistory {
  private graphValue = new CommitGraph();
  /** Tips whose whole history is in the graph: the `^known` side of the next read. */
  private loadedTips = new Set<string>();
  private keyValue: string | null = null;

  constructor(
    private readonly git: GitRunner,
    private readonly events: KnownHistoryEvents,
  ) {}

  get graph(): CommitGraph {
    return this.graphValue;
  }

  /** The repository state the graph was read under (null: nothing read yet). */
  get key(): string | null {
    return this.keyValue;
  }

  /** Whether the graph holds a commit with its whole history (so it is a commit). */
  readonly holds = (sha: string): boolean => this.graphValue.loadedIndexOf(sha) !== undefined;

  /** Starts from a cache file's graph and the tips it was saved with. */
  adopt(key: string, graph: CommitGraph, tips: readonly string[]): void {
    this.reset(key);
    this.graphValue = graph;
    this.loadedTips = new Set(tips);
  }

  /** Drops the graph, under `key` from now on. */
  reset(key: string | null): void {
    this.graphValue = new CommitGraph();
    this.loadedTips = new Set();
    this.keyValue = key;
    this.events.onReset();
  }

  /**
   * With a graph in memory, the new commits of the branches are read while `for-each-ref` lists
   * them (`rev-list --branches ^known`, git reading the refs itself), so a moved ref waits for
   * one round of git processes, not two. `loadTips` then reads only what this missed (a ref
   * that moved between the two reads, a detached HEAD). A failure (a known tip pruned since)
   * drops the graph: `loadTips` reads everything, as it would have.
   */
  async readBranchesAhead(branchPattern: string | null): Promise<void> {
    if (this.graphValue.size === 0 || this.loadedTips.size === 0) return;
    const args = ['rev-list', '--parents', '--timestamp', branchPattern === null ? '--branches' : `--branches=${branchPattern}`, '--stdin'];
    const known = [...this.loadedTips].map((sha) => `^${sha}`).join('\n') + '\n';
    try {
      const result = await this.git.runLines(args, known, (text) => {
        if (this.graphValue.addRevListOutput(text) > 0) this.events.onLearnt();
      });
      if (result.exitCode === 0 && this.graphValue.isClosed()) return;
    } catch {
      // Dropped below, like a non-zero exit.
    }
    this.reset(this.keyValue);
  }

  /** The commits a cat-file walk read; only whole histories arrive, so the graph stays closed. */
  addMovedTips(found: MovedTips): void {
    if (found.added === 0) return;
    if (this.graphValue.addRevListOutput(found.revListLines) > 0) this.events.onLearnt();
    if (!this.graphValue.isClosed()) this.reset(this.keyValue);
  }

  /** Reads the history of tips not yet in the graph, excluding what earlier reads hold; every loaded commit's history is loaded too, so a loaded tip needs nothing more. */
  async loadTips(tips: readonly string[]): Promise<void> {
    const fresh = [...new Set(tips)].filter((sha) => !this.holds(sha));
    if (fresh.length === 0) {
      for (const sha of tips) this.loadedTips.add(sha);
      return;
    }
    const known = [...this.loadedTips];
    const args = ['rev-list', '--parents', '--timestamp', '--stdin'];
    this.events.onLearnt();
    // Parsed as git writes: on a long history the parsing then costs little beyond git's own time.
    const incremental = await this.git.runLines(args, [...fresh, ...known.map((sha) => `^${sha}`)].join('\n') + '\n', (text) => this.graphValue.addRevListOutput(text));
    if (incremental.exitCode !== 0 || !this.graphValue.isClosed()) {
      // A known tip may have been pruned since (or the cache came from a repository since
      // replaced); read everything again rather than guess.
      this.reset(this.keyValue);
      await this.git.okLines(args, [...new Set(tips)].join('\n') + '\n', (text) => this.graphValue.addRevListOutput(text));
      if (!this.graphValue.isClosed()) throw new GitFailure('git rev-list did not list every parent it named; the repository may be corrupt (try git fsck)', null);
    }
    for (const sha of tips) this.loadedTips.add(sha);
  }
}

/**
 * FACTS.md section 3 on the in-memory graph, replaying git's own walk:
 *
 *   baseline := first line of `git rev-list --before=B -1 <ref>`
 *   if empty:   `git rev-list --max-parents=0 -1 <ref>`
 *
 * `git rev-list` without ordering options pops commits from a list kept sorted by committer
 * date, newest first; a parent is inserted after every queued commit with the same or a newer
 * date (`commit_list_insert_by_date`), so equal dates leave in the order they were queued;
 * parents are queued in their order, each commit once. `--before=B` hides commits dated after
 * B (inclusive at B) without stopping the walk through them; `-1` takes the first shown one.
 * `--max-parents=0` shows only parentless commits in the same order, so one walk answers both.
 */
import type { CommitGraph } from './commitGraph.js';

export interface WalkResult {
  baseline: number;
  rootFallback: boolean;
  /** Commits popped before the answer that are shallow boundary commits (their history is missing). */
  crossedShallowBoundary: boolean;
}

/** A binary heap ordered like git's date-sorted commit list: newer first, then first queued first. */
class DateQueue {
  private readonly items: number[] = [];
  private readonly keys: { time: number; order: number }[] = [];
  private queued = 0;

  constructor(private readonly graph: CommitGraph) {}

  get length(): number {
    return this.items.length;
  }

  push(commit: number): void {
    this.items.push(commit);
    this.keys.push({ time: this.graph.timeOf(commit), order: this.queued++ });
    this.up(this.items.length - 1);
  }

  pop(): number | undefined {
    const top = this.items[0];
    const lastItem = this.items.pop();
    const lastKey = this.keys.pop();
    if (this.items.length > 0 && lastItem !== undefined && lastKey !== undefined) {
      this.items[0] = lastItem;
      this.keys[0] = lastKey;
      this.down(0);
    }
    return top;
  }

  private before(a: number, b: number): boolean {
    const ka = this.keys[a] as { time: number; order: number };
    const kb = this.keys[b] as { time: number; order: number };
    return ka.time > kb.time || (ka.time === kb.time && ka.order < kb.order);
  }

  private swap(a: number, b: number): void {
    const item = this.items[a] as number;
    this.items[a] = this.items[b] as number;
    this.items[b] = item;
    const key = this.keys[a] as { time: number; order: number };
    this.keys[a] = this.keys[b] as { time: number; order: number };
    this.keys[b] = key;
  }

  private up(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(index, parent)) return;
      this.swap(index, parent);
      index = parent;
    }
  }

  private down(index: number): void {
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let best = index;
      if (left < this.items.length && this.before(left, best)) best = left;
      if (right < this.items.length && this.before(right, best)) best = right;
      if (best === index) return;
      this.swap(index, best);
      index = best;
    }
  }
}

export function findBaseline(graph: CommitGraph, tip: number, boundary: number, shallow: ReadonlySet<number>): WalkResult {
  const queue = new DateQueue(graph);
  const seen = new Set<number>([tip]);
  queue.push(tip);
  let firstRoot: number | null = null;
  let crossedShallowBoundary = false;
  for (let commit = queue.pop(); commit !== undefined; commit = queue.pop()) {
    if (graph.timeOf(commit) <= boundary) return { baseline: commit, rootFallback: false, crossedShallowBoundary };
    if (shallow.has(commit)) crossedShallowBoundary = true;
    const parents = graph.parentCount(commit);
    if (parents === 0 && firstRoot === null) firstRoot = commit;
    for (let k = 0; k < parents; k += 1) {
      const parent = graph.parentAt(commit, k);
      if (seen.has(parent)) continue;
      seen.add(parent);
      queue.push(parent);
    }
  }
  // Every commit was dated after B; git's `--max-parents=0 -1` takes the first root in the same order.
  return { baseline: firstRoot ?? tip, rootFallback: true, crossedShallowBoundary };
}

/**
 * `git rev-list --count base..tip`, walking by generation so only the commits between are
 * visited. Parents never loaded are not followed: in a graph read as `tips ^L` (recentHistory.ts)
 * they are ancestors of L, and so of `base`, and never count.
 */
export function countCommitsBetween(graph: CommitGraph, base: number, tip: number): number {
  if (base === tip) return 0;
  const fromTip = 1;
  const fromBase = 2;
  const marks = new Map<number, number>([
    [tip, fromTip],
    [base, fromBase],
  ]);
  // Max-heap by generation: a commit is popped only after every child of it in the walk was,
  // so its marks are final when it is counted. The walk ends when no queued commit is reached
  // from the tip alone: everything below is then reachable from the base.
  const heap = new GenerationHeap(graph);
  heap.push(tip);
  heap.push(base);
  let tipOnlyQueued = 1;
  let count = 0;
  while (tipOnlyQueued > 0) {
    const commit = heap.pop() as number;
    const mark = marks.get(commit) as number;
    if (mark === fromTip) {
      tipOnlyQueued -= 1;
      count += 1;
    }
    const parents = graph.parentCount(commit);
    for (let k = 0; k < parents; k += 1) {
      const parent = graph.parentAt(commit, k);
      if (!graph.isLoaded(parent)) continue;
      const before = marks.get(parent);
      if (before === undefined) {
        marks.set(parent, mark);
        heap.push(parent);
        if (mark === fromTip) tipOnlyQueued += 1;
      } else if (before === fromTip && mark !== fromTip) {
        marks.set(parent, before | mark);
        tipOnlyQueued -= 1;
      }
    }
  }
  return count;
}

/** Whether `base` lies on the first-parent line from `tip` (generations fall strictly along it); the line ends at a commit never loaded. */
export function onFirstParentLine(graph: CommitGraph, base: number, tip: number): boolean {
  const target = graph.generation(base);
  let commit: number | undefined = tip;
  while (commit !== undefined && commit !== base && graph.isLoaded(commit) && graph.generation(commit) > target) commit = graph.firstParent(commit);
  return commit === base;
}

class GenerationHeap {
  private readonly items: number[] = [];
  constructor(private readonly graph: CommitGraph) {}

  get length(): number {
    return this.items.length;
  }

  push(commit: number): void {
    const items = this.items;
    items.push(commit);
    let index = items.length - 1;
    const generation = this.graph.generation(commit);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.graph.generation(items[parent] as number) >= generation) break;
      items[index] = items[parent] as number;
      index = parent;
    }
    items[index] = commit;
  }

  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      const generation = this.graph.generation(last);
      let index = 0;
      for (;;) {
        const left = index * 2 + 1;
        const right = left + 1;
        let best = left;
        if (left >= items.length) break;
        if (right < items.length && this.graph.generation(items[right] as number) > this.graph.generation(items[left] as number)) best = right;
        if (this.graph.generation(items[best] as number) <= generation) break;
        items[index] = items[best] as number;
        index = best;
      }
      items[index] = last;
    }
    return top;
  }
}

/**
 * The commit graph of a repository's tracked tips, held in memory as typed arrays indexed by a
 * small integer per commit: parents, committer time (git's `commit->date`, what `--before`
 * compares) and a generation number (1 + the highest parent's) computed on demand. Parents are
 * the ones git itself sees, so a shallow clone's boundary commits have none, exactly as for
 * `git rev-list`.
 *
 * Loaded with `git rev-list --parents --timestamp`, once for everything and then only for new
 * tips (`newTip ^knownTip…`), so moving one ref reads only the commits it added (recentHistory.ts
 * also reads partial graphs: a commit named only as a parent is then not loaded); or from the
 * engine's on-disk cache (`exportArrays`/`fromArrays`, graphCache.ts). Typed arrays rather than
 * an object or an array per commit: a new engine starting from its cache then builds no
 * per-commit object at all, and a 100k-commit history costs a few megabytes and no GC work.
 */

/** The graph as flat arrays, for the on-disk cache: parents of commit i are `parentList[parentStart[i] .. parentStart[i + 1]]`; a generation of 0 is "not computed yet". */
export interface CommitGraphArrays {
  /** Every commit id, each `shaLength` hex characters, one after the other. */
  shaText: string;
  shaLength: number;
  times: Float64Array;
  generations: Uint32Array;
  parentStart: Uint32Array;
  parentList: Uint32Array;
}

const none = -1;
const newlineByte = 0x0a;
const spaceByte = 0x20;

/**
 * The latest committer time the graph holds, 9999-12-31T23:59:59Z. git keeps a date as an
 * unsigned 64-bit number: one before 1970 reads back as about 1.8e19, a forged one as anything.
 * Past 2^53 a time is no longer a safe integer (the contract refuses the whole list) and past
 * year 275760 no Date can show it. Every boundary Builder Bar computes is at most this, so a
 * clamped commit stays after it, as git's unsigned order has it: the walk still agrees with
 * `git rev-list --before`.
 */
export const LATEST_COMMIT_TIME = 253_402_300_799;

export class CommitGraph {
  private count = 0;
  private times = new Float64Array(1024);
  private generations = new Uint32Array(1024);
  private loaded = new Uint8Array(1024);
  private firstParents = new Int32Array(1024);
  private secondParents = new Int32Array(1024);
  /** Parents after the second (octopus merges), by commit. */
  private readonly moreParents = new Map<number, number[]>();

  /** Commits from the cache: their ids in one string, found through an open-addressing table. */
  private baseText = '';
  private baseCount = 0;
  private shaLength = 40;
  private baseTable = new Int32Array(0);
  /** Commits interned since (read from git): their ids and a map to their index. */
  private readonly extraShas: string[] = [];
  private readonly extraIndex = new Map<string, number>();

  /** A graph every commit of which is loaded, from arrays `exportArrays` made (the cache checks them first). */
  static fromArrays(arrays: CommitGraphArrays): CommitGraph {
    const graph = new CommitGraph();
    const count = arrays.times.length;
    graph.grow(count);
    graph.count = count;
    graph.baseText = arrays.shaText;
    graph.baseCount = count;
    graph.shaLength = arrays.shaLength;
    graph.times.set(arrays.times);
    graph.generations.set(arrays.generations);
    graph.loaded.fill(1, 0, count);
    const { parentStart, parentList } = arrays;
    for (let index = 0; index < count; index += 1) {
      const start = parentStart[index] as number;
      const end = parentStart[index + 1] as number;
      graph.firstParents[index] = end > start ? (parentList[start] as number) : none;
      graph.secondParents[index] = end > start + 1 ? (parentList[start + 1] as number) : none;
      if (end > start + 2) graph.moreParents.set(index, Array.from(parentList.subarray(start + 2, end)));
    }
    // The table: at least twice as many slots as commits, keyed by the id's first 7 hex digits.
    let size = 1024;
    while (size < count * 2) size *= 2;
    const table = new Int32Array(size).fill(none);
    const mask = size - 1;
    const text = arrays.shaText;
    for (let index = 0; index < count; index += 1) {
      let slot = hexPrefix(text, index * arrays.shaLength) & mask;
      while (table[slot] !== none) {
        const other = table[slot] as number;
        if (text.startsWith(text.slice(index * arrays.shaLength, (index + 1) * arrays.shaLength), other * arrays.shaLength)) throw new Error('a commit twice in a graph');
        slot = (slot + 1) & mask;
      }
      table[slot] = index;
    }
    graph.baseTable = table;
    return graph;
  }

  exportArrays(): CommitGraphArrays {
    const count = this.count;
    const parentStart = new Uint32Array(count + 1);
    let total = 0;
    for (let index = 0; index < count; index += 1) {
      parentStart[index] = total;
      total += this.parentCount(index);
    }
    parentStart[count] = total;
    const parentList = new Uint32Array(total);
    for (let index = 0; index < count; index += 1) {
      const start = parentStart[index] as number;
      for (let k = 0; k < this.parentCount(index); k += 1) parentList[start + k] = this.parentAt(index, k);
    }
    const shaLength = this.baseCount > 0 ? this.shaLength : (this.extraShas[0]?.length ?? 40);
    return {
      shaText: this.baseText + this.extraShas.join(''),
      shaLength,
      times: this.times.slice(0, count),
      generations: this.generations.slice(0, count),
      parentStart,
      parentList,
    };
  }

  get size(): number {
    return this.count;
  }

  indexOf(sha: string): number | undefined {
    const extra = this.extraIndex.get(sha);
    if (extra !== undefined) return extra;
    if (this.baseCount === 0 || sha.length !== this.shaLength) return undefined;
    const mask = this.baseTable.length - 1;
    for (let slot = hexPrefix(sha, 0) & mask; ; slot = (slot + 1) & mask) {
      const index = this.baseTable[slot] as number;
      if (index === none) return undefined;
      if (this.baseText.startsWith(sha, index * this.shaLength)) return index;
    }
  }

  /** The commit's index, when its own line (parents and time) has been read. */
  loadedIndexOf(sha: string): number | undefined {
    const index = this.indexOf(sha);
    return index !== undefined && this.loaded[index] === 1 ? index : undefined;
  }

  shaOf(index: number): string {
    if (index < this.baseCount) return this.baseText.slice(index * this.shaLength, (index + 1) * this.shaLength);
    return this.extraShas[index - this.baseCount] as string;
  }

  /** Whether the commit's own line was read: a commit only named as a parent has no parents here. */
  isLoaded(index: number): boolean {
    return this.loaded[index] === 1;
  }

  /** Committer time in seconds (meaningful once the commit is loaded). */
  timeOf(index: number): number {
    return this.times[index] as number;
  }

  parentCount(index: number): number {
    if (this.firstParents[index] === none) return 0;
    if (this.secondParents[index] === none) return 1;
    return 2 + (this.moreParents.get(index)?.length ?? 0);
  }

  parentAt(index: number, k: number): number {
    if (k === 0) return this.firstParents[index] as number;
    if (k === 1) return this.secondParents[index] as number;
    return (this.moreParents.get(index) as number[])[k - 2] as number;
  }

  /** The first parent, or undefined for a root (or a shallow boundary commit). */
  firstParent(index: number): number | undefined {
    const parent = this.firstParents[index] as number;
    return parent === none ? undefined : parent;
  }

  /**
   * Reads `git rev-list --parents --timestamp` output: `<time> <sha> <parent>…` per line.
   *
   * Parsed from a byte copy of its own, and each id made a string of its own: an id sliced
   * out of `text` would keep the whole of git's answer alive as long as the graph. And a text
   * that is a rope of pieces (`a + b`, as a caller or a test builds it) was flattened again,
   * nondeterministically, for the lines sliced from it, each id then pinning its own copy: a
   * 60,000-line text grew a test worker past its 4 GB heap.
   */
  addRevListOutput(text: string): number {
    const bytes = Buffer.from(text, 'latin1');
    let added = 0;
    let start = 0;
    while (start < bytes.length) {
      let end = bytes.indexOf(newlineByte, start);
      if (end === -1) end = bytes.length;
      if (end > start && this.addLine(bytes, start, end)) added += 1;
      start = end + 1;
    }
    return added;
  }

  /** One line of rev-list output; true when it loaded a commit not loaded before. */
  private addLine(bytes: Buffer, start: number, end: number): boolean {
    const fields: string[] = [];
    for (let at = start; at <= end; ) {
      let space = bytes.indexOf(spaceByte, at);
      if (space === -1 || space > end) space = end;
      fields.push(bytes.toString('latin1', at, space));
      at = space + 1;
    }
    const time = fields[0] === '' ? Number.NaN : Number(fields[0]);
    const sha = fields[1];
    if (sha === undefined || sha === '' || !Number.isFinite(time)) throw new Error(`unexpected git rev-list line: ${bytes.toString('latin1', start, Math.min(end, start + 200))}`);
    const index = this.intern(sha);
    if (this.loaded[index] === 1) return false;
    this.times[index] = Math.min(time, LATEST_COMMIT_TIME);
    const parents = fields.slice(2).map((parent) => this.intern(parent));
    this.firstParents[index] = parents[0] ?? none;
    this.secondParents[index] = parents[1] ?? none;
    if (parents.length > 2) this.moreParents.set(index, parents.slice(2));
    this.loaded[index] = 1;
    return true;
  }

  /** True when every parent named by a loaded commit has been loaded too (the closure is complete). */
  isClosed(): boolean {
    for (let index = 0; index < this.count; index += 1) if (this.loaded[index] !== 1) return false;
    return true;
  }

  /** Longest path to a root, plus one: every parent's generation is strictly smaller than its child's. */
  generation(start: number): number {
    const known = this.generations[start] as number;
    if (known !== 0) return known;
    // Iterative post-order: histories are far deeper than the JS stack.
    const stack: number[] = [start];
    while (stack.length > 0) {
      const node = stack[stack.length - 1] as number;
      if (this.generations[node] !== 0) {
        stack.pop();
        continue;
      }
      let highest = 0;
      let ready = true;
      const parents = this.parentCount(node);
      for (let k = 0; k < parents; k += 1) {
        const parent = this.parentAt(node, k);
        const generation = this.generations[parent] as number;
        if (generation === 0) {
          ready = false;
          stack.push(parent);
        } else if (generation > highest) highest = generation;
      }
      if (ready) {
        this.generations[node] = highest + 1;
        stack.pop();
      }
    }
    return this.generations[start] as number;
  }

  private intern(sha: string): number {
    let index = this.indexOf(sha);
    if (index === undefined) {
      index = this.count;
      this.grow(index + 1);
      this.count += 1;
      this.extraIndex.set(sha, index);
      this.extraShas.push(sha);
      this.times[index] = Number.NaN;
      this.firstParents[index] = none;
      this.secondParents[index] = none;
    }
    return index;
  }

  private grow(needed: number): void {
    if (needed <= this.times.length) return;
    let capacity = this.times.length;
    while (capacity < needed) capacity *= 2;
    const grown = <T extends Float64Array | Uint32Array | Uint8Array | Int32Array>(old: T, make: (length: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.times = grown(this.times, (length) => new Float64Array(length));
    this.generations = grown(this.generations, (length) => new Uint32Array(length));
    this.loaded = grown(this.loaded, (length) => new Uint8Array(length));
    this.firstParents = grown(this.firstParents, (length) => new Int32Array(length));
    this.secondParents = grown(this.secondParents, (length) => new Int32Array(length));
  }
}

/** The first seven hex digits of the id at `offset` as a number (ids are uniformly spread). */
function hexPrefix(text: string, offset: number): number {
  let value = 0;
  for (let i = 0; i < 7; i += 1) {
    const code = text.charCodeAt(offset + i);
    value = value * 16 + (code <= 0x39 ? code - 0x30 : code - 0x57);
  }
  return value;
}

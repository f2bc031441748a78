/**
 * The commit graph of a repository's tracked tips, held in memory as arrays indexed by a small
 * integer per commit: parents, committer time (git's `commit->date`, what `--before` compares)
 * and a generation number (1 + the highest parent's) computed on demand. Parents are the ones
 * git itself sees, so a shallow clone's boundary commits have none, exactly as for `git rev-list`.
 *
 * Loaded with `git rev-list --parents --timestamp`, once for everything and then only for new
 * tips (`newTip ^knownTip…`), so moving one ref reads only the commits it added.
 */

export class CommitGraph {
  private readonly indexBySha = new Map<string, number>();
  readonly shas: string[] = [];
  /** Committer time in seconds; NaN until the commit's own line was read. */
  readonly times: number[] = [];
  readonly parents: number[][] = [];
  private readonly generations: number[] = [];
  private readonly loaded: boolean[] = [];

  get size(): number {
    return this.shas.length;
  }

  indexOf(sha: string): number | undefined {
    return this.indexBySha.get(sha);
  }

  /** The commit's index, when its own line (parents and time) has been read. */
  loadedIndexOf(sha: string): number | undefined {
    const index = this.indexBySha.get(sha);
    return index !== undefined && this.loaded[index] ? index : undefined;
  }

  /** Reads `git rev-list --parents --timestamp` output: `<time> <sha> <parent>…` per line. */
  addRevListOutput(text: string): number {
    let added = 0;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      if (end > start) {
        const fields = text.slice(start, end).split(' ');
        const time = Number(fields[0]);
        const sha = fields[1];
        if (sha === undefined || !Number.isFinite(time)) throw new Error(`unexpected git rev-list line: ${text.slice(start, Math.min(end, start + 200))}`);
        const index = this.intern(sha);
        if (!this.loaded[index]) {
          this.times[index] = time;
          this.parents[index] = fields.slice(2).map((parent) => this.intern(parent));
          this.loaded[index] = true;
          added += 1;
        }
      }
      start = end + 1;
    }
    return added;
  }

  /** True when every parent named by a loaded commit has been loaded too (the closure is complete). */
  isClosed(): boolean {
    for (let index = 0; index < this.shas.length; index += 1) if (!this.loaded[index]) return false;
    return true;
  }

  /** Longest path to a root, plus one: every parent's generation is strictly smaller than its child's. */
  generation(start: number): number {
    const known = this.generations[start];
    if (known !== undefined) return known;
    // Iterative post-order: histories are far deeper than the JS stack.
    const stack: number[] = [start];
    while (stack.length > 0) {
      const node = stack[stack.length - 1] as number;
      if (this.generations[node] !== undefined) {
        stack.pop();
        continue;
      }
      let highest = 0;
      let ready = true;
      for (const parent of this.parents[node] ?? []) {
        const generation = this.generations[parent];
        if (generation === undefined) {
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
    let index = this.indexBySha.get(sha);
    if (index === undefined) {
      index = this.shas.length;
      this.indexBySha.set(sha, index);
      this.shas.push(sha);
      this.times.push(Number.NaN);
      this.parents.push([]);
      this.loaded.push(false);
    }
    return index;
  }
}

/**
 * An append-only list that lets go of items at its front without copying the rest each time:
 * dropping advances a start offset, and the dead prefix is cut away only once it is at least as
 * long as the live part (and not tiny), so each item is copied at most once more on average.
 * Appending is amortised O(1), dropping n items O(n) amortised, reading by index O(1).
 */
import type { Indexed } from './indexed.js';

/** Below this many dead items, compacting would cost more bookkeeping than it saves. */
const minimumCompaction = 1024;

export class FrontTrimmedList<T> implements Indexed<T> {
  private items: T[] = [];
  private start = 0;

  get length(): number {
    return this.items.length - this.start;
  }

  at(index: number): T | undefined {
    if (index < 0 || index >= this.length) return undefined;
    return this.items[this.start + index];
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Lets go of the first `count` items (all of them when count ≥ length). */
  dropFront(count: number): void {
    if (count <= 0) return;
    this.start += Math.min(count, this.length);
    if (this.start === this.items.length) {
      this.items = [];
      this.start = 0;
    } else if (this.start >= minimumCompaction && this.start >= this.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }

  clear(): void {
    this.items = [];
    this.start = 0;
  }
}

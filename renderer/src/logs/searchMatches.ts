/**
 * The search matches among the Logs window's filtered view, kept up to date like the view
 * itself (FilteredLines): a sync tests only the lines shown since the last one, and lets go of
 * matches whose lines the view let go. A new query is a new instance, built once over the view
 * (O(lines), as the user types). `at(k)` is the view index of the k-th match, ascending.
 */
import type { Indexed } from '../state/indexed.js';
import { FrontTrimmedList } from '../state/frontTrimmedList.js';
import type { FilteredLines } from './filteredLines.js';
import { textContainsQuery } from './logSearch.js';

export class SearchMatches implements Indexed<number> {
  /** Ordinals (see FilteredLines) of the matching lines. */
  private readonly ordinals = new FrontTrimmedList<number>();
  private view: FilteredLines | null = null;
  private viewEpoch = -1;
  private testedTo = 0;
  private readonly needle: string;

  constructor(readonly query: string) {
    this.needle = query.toLowerCase();
  }

  /** Catches up with `view`; O(lines shown or let go since the last sync). */
  sync(view: FilteredLines): void {
    if (view !== this.view || view.epoch !== this.viewEpoch) {
      this.view = view;
      this.viewEpoch = view.epoch;
      this.ordinals.clear();
      this.testedTo = view.firstOrdinal;
    }
    if (this.needle === '') return;
    const first = view.firstOrdinal;
    let stale = 0;
    while (stale < this.ordinals.length && this.ordinals.at(stale)! < first) stale += 1;
    this.ordinals.dropFront(stale);
    for (let ordinal = Math.max(this.testedTo, first); ordinal < view.endOrdinal; ordinal += 1) {
      if (textContainsQuery(view.textAt(ordinal - first), this.needle)) this.ordinals.push(ordinal);
    }
    this.testedTo = view.endOrdinal;
  }

  get length(): number {
    return this.ordinals.length;
  }

  at(position: number): number | undefined {
    const ordinal = this.ordinals.at(position);
    return ordinal === undefined || !this.view ? undefined : ordinal - this.view.firstOrdinal;
  }

  /** Position (into the matches) of the match on view line `index`, or -1 (O(log matches)). */
  positionOf(index: number): number {
    let low = 0;
    let high = this.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = this.at(middle)!;
      if (found === index) return middle;
      if (found < index) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }
}

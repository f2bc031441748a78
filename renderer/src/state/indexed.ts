/**
 * A read-only, random-access sequence. Plain arrays satisfy it (`Array.prototype.at`), and so
 * do the log store and the Logs window's incremental views, so helpers that only need to read
 * by index (held counts, navigation) take either without copying.
 */
export interface Indexed<T> {
  readonly length: number;
  /** The item at `index` (0 ≤ index < length); undefined outside that range. */
  at(index: number): T | undefined;
}

/**
 * The derivations a build's view carries. A view goes to every door at each change (the queue's
 * cadence), and the Builds place lists each row: a remote build of tens of thousands of
 * derivations made every view megabytes and the list tens of thousands of rows. So a view carries
 * at most DERIVATIONS_SHOWN: first those a person looks for (building, copying, failed,
 * cancelled), then waiting ones, then the latest done; in the queue's own order, with the count
 * of the rest beside them (`derivationsNotShown`). The progress counts stay whole.
 */
export const DERIVATIONS_SHOWN = 500;

const PRIORITY: Record<string, number> = { building: 0, copying: 0, failed: 1, cancelled: 1, waiting: 2, done: 3 };

export function shownDerivations<T extends { state: string; endedAt: number | null }>(all: readonly T[], cap: number = DERIVATIONS_SHOWN): { derivations: T[]; derivationsNotShown?: number } {
  // Nothing left out: no count at all, so a view of an ordinary build is as it always was.
  if (all.length <= cap) return { derivations: [...all] };
  const ranked = all
    .map((derivation, index) => ({ derivation, index }))
    .sort((a, b) => (PRIORITY[a.derivation.state] ?? 2) - (PRIORITY[b.derivation.state] ?? 2) || (b.derivation.endedAt ?? 0) - (a.derivation.endedAt ?? 0) || a.index - b.index);
  const kept = ranked.slice(0, cap).sort((a, b) => a.index - b.index);
  return { derivations: kept.map((entry) => entry.derivation), derivationsNotShown: all.length - cap };
}

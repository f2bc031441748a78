/**
 * Notes made once per item the user's configuration holds (a machine, a line) must stay
 * readable however much that configuration holds: a `builders` line of 3,000 entries once gave
 * 3,000 "already configured" notes, burying every other word of the plan. The first few are
 * named; the rest are counted. A value the user wrote is also clipped before it goes into a
 * sentence, so one huge entry cannot make one huge note.
 */

/** How many items are named one by one before the rest are only counted. */
export const NAMED_AT_MOST = 5;

/** Characters of a user's value quoted in a sentence before it is cut with "…". */
export const QUOTED_AT_MOST = 160;

/** `text`, cut to `max` characters with "…" (the full value is in the file the note names). */
export function clipped(text: string, max = QUOTED_AT_MOST): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** The first `max` items, and how many more there are. */
export function firstFew<T>(items: readonly T[], max = NAMED_AT_MOST): { named: T[]; more: number } {
  return { named: items.slice(0, max), more: Math.max(0, items.length - max) };
}

/** "3,000" (a count in a sentence). */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * One sentence per item for the first few, then one that counts the rest: `rest(more)` says
 * what they are and where to see them all.
 */
export function boundedNotes<T>(items: readonly T[], note: (item: T) => string, rest: (more: number) => string, max = NAMED_AT_MOST): string[] {
  const { named, more } = firstFew(items, max);
  return more > 0 ? [...named.map(note), rest(more)] : named.map(note);
}

/**
 * How many lines the Logs window holds: a million (what a source's ring may hold at most, and
 * what the virtualised list is built to stay smooth with), or fewer when the page's address asks
 * with `?cap=N` (at least 1,000). The smaller cap is how the end-to-end test reaches the cap,
 * and what trimming does to a view scrolled up, without streaming a million lines.
 */
export const DEFAULT_WINDOW_LOG_CAP = 1_000_000;
const MIN_WINDOW_LOG_CAP = 1_000;

export function windowLogCap(search: string): number {
  const asked = new URLSearchParams(search).get('cap');
  if (asked === null || !/^\d{1,7}$/.test(asked)) return DEFAULT_WINDOW_LOG_CAP;
  return Math.min(DEFAULT_WINDOW_LOG_CAP, Math.max(MIN_WINDOW_LOG_CAP, Number(asked)));
}

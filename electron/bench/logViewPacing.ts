/**
 * Rate pacing for the log-view benchmark: how many lines are due at a moment of a stream at a
 * fixed rate. Both sides (the feeder in the core, the @xterm/xterm page) pace with this, so a
 * late timer catches up instead of lowering the rate.
 */
export function linesDue(ratePerSecond: number, elapsedMs: number, sent: number, total = Number.POSITIVE_INFINITY): number {
  if (!(ratePerSecond > 0) || !(elapsedMs > 0)) return 0;
  const target = Math.min(total, Math.floor((ratePerSecond * elapsedMs) / 1000));
  return Math.max(0, target - sent);
}

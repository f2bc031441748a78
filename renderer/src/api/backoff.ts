/**
 * How long to wait before reconnection attempt `attempt` (1 for the first retry): doubling from
 * a quarter second, capped so a window left open while the core restarts finds it again within
 * a few seconds. `jitter` (0..1) spreads windows that lost the same core apart.
 */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** A number in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

export function reconnectDelayMs(attempt: number, options: BackoffOptions = {}): number {
  const baseMs = options.baseMs ?? 250;
  const maxMs = options.maxMs ?? 5_000;
  const random = options.random ?? Math.random;
  const exponent = Math.max(0, attempt - 1);
  const ideal = Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 30));
  // Up to 20% less than the ideal delay, never more than the cap.
  return Math.round(ideal * (1 - 0.2 * random()));
}

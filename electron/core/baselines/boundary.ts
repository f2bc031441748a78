/**
 * B := floor(T / interval) * interval (FACTS.md section 3): epoch-aligned UTC, so a daily
 * interval falls on UTC midnight and a weekly one on Thursdays (1970-01-01 was a Thursday).
 */
export function boundaryFor(time: number, intervalSeconds: number): number {
  if (!Number.isInteger(intervalSeconds) || intervalSeconds <= 0) throw new RangeError(`the interval must be a positive whole number of seconds (got ${intervalSeconds})`);
  return Math.floor(time / intervalSeconds) * intervalSeconds;
}

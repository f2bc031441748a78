/**
 * When to restart the builder after an exit nobody asked for, as a pure function: capped
 * exponential backoff (1 s, 2 s, 4 s, ... up to a cap), never more restarts in any 60 s window
 * than the policy allows, and a visible give-up after too many restarts that did not lead to a
 * builder that stayed up. QEMU crash loops after upgrades are a known pain point; this is what
 * keeps one from spinning the fans forever.
 */
import type { Settings } from '../../ipc/contract.js';

export type RestartPolicy = Settings['restartPolicy'];

export interface RestartHistory {
  /** Automatic restarts made since the builder last stayed ready for a while. */
  attempts: number;
  /** When each recent automatic restart happened (ms since epoch), oldest first. */
  recentRestarts: number[];
}

export interface BackoffSchedule {
  baseMs: number;
  capMs: number;
  windowMs: number;
}

export const defaultBackoff: BackoffSchedule = { baseMs: 1_000, capMs: 30_000, windowMs: 60_000 };

export type RestartDecision =
  | { kind: 'restart'; delayMs: number; at: number }
  | { kind: 'give-up'; message: string; hint: string }
  | { kind: 'disabled' };

export function planRestart(
  policy: RestartPolicy,
  history: RestartHistory,
  now: number,
  schedule: BackoffSchedule = defaultBackoff,
): RestartDecision {
  if (!policy.enabled) return { kind: 'disabled' };
  if (history.attempts >= policy.giveUpAfter) {
    return {
      kind: 'give-up',
      message: `Gave up restarting the builder after ${history.attempts} automatic restart${history.attempts === 1 ? '' : 's'} in a row failed.`,
      hint: 'Read the console lines below and the qemu log (Open Logs), fix the cause, then start the builder again.',
    };
  }
  const backoff = Math.min(schedule.capMs, schedule.baseMs * 2 ** history.attempts);
  const inWindow = history.recentRestarts.filter((time) => time > now - schedule.windowMs);
  let earliest = now + backoff;
  if (inWindow.length >= policy.maxPerMinute) {
    // The restart that would make one too many in the window waits until the oldest one leaves it.
    const oldestThatMustLeave = inWindow[inWindow.length - policy.maxPerMinute] ?? now;
    earliest = Math.max(earliest, oldestThatMustLeave + schedule.windowMs);
  }
  return { kind: 'restart', delayMs: earliest - now, at: earliest };
}

/** Drops restarts older than the window so the history stays small. */
export function rememberRestart(history: RestartHistory, at: number, schedule: BackoffSchedule = defaultBackoff): RestartHistory {
  return {
    attempts: history.attempts + 1,
    recentRestarts: [...history.recentRestarts.filter((time) => time > at - schedule.windowMs), at],
  };
}

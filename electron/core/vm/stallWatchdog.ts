/**
 * A probe run under a watchdog: `probe` gets a signal that aborts when the caller's does or when
 * `limitMs` pass, whichever is first. The answer says whether the watchdog fired; once it has,
 * whatever the aborted probe threw says nothing (it was cut short), so it is not rethrown.
 * The supervisor runs readiness under kvm/hvf this way: an accelerator that passed its probe can
 * still stall the real guest (kvm on some nested-virtualisation hosts), and only a deadline tells.
 * So it does after a snapshot restore: a restored guest answers in seconds or not at all.
 */
export async function underStallWatchdog(limitMs: number, signal: AbortSignal, probe: (signal: AbortSignal) => Promise<void>): Promise<{ stalled: boolean }> {
  const watchdog = new AbortController();
  const follow = () => watchdog.abort();
  signal.addEventListener('abort', follow);
  let stalled = false;
  const timer = setTimeout(() => {
    stalled = true;
    watchdog.abort();
  }, limitMs);
  try {
    await probe(watchdog.signal);
  } catch (error) {
    if (!stalled) throw error;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', follow);
  }
  return { stalled };
}

/** What a start's readiness is watched for, and what a stall means. */
export interface StallWatch {
  limitMs: number;
  /** What the stall says, for the log. */
  why: string;
  /** A restored guest: its snapshot goes. An accelerated one: the accelerator goes (TCG from now on). */
  cure: 'drop-snapshot' | 'use-tcg';
}

/** The watch for a freshly started VM; null for a cold boot under TCG, whose readiness has only its own timeout. */
export function stallWatchFor(vm: { restored: boolean; accelerator: string }, limits: { restoredReadyMs: number; acceleratedReadyMs: number }): StallWatch | null {
  const seconds = (ms: number): number => Math.round(ms / 1000);
  if (vm.restored) {
    return { limitMs: limits.restoredReadyMs, why: `The builder restored from its snapshot did not answer within ${seconds(limits.restoredReadyMs)} s`, cure: 'drop-snapshot' };
  }
  if (vm.accelerator === 'tcg') return null;
  return { limitMs: limits.acceleratedReadyMs, why: `${vm.accelerator} passed its probe, but the builder did not answer within ${seconds(limits.acceleratedReadyMs)} s under it`, cure: 'use-tcg' };
}

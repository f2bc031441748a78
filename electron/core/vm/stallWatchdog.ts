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

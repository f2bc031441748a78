/**
 * Coalesces a store's changes to at most one call per animation frame: a change asks for the
 * next frame unless one is already asked for, and that frame calls `apply` once for all the
 * changes since. Apart from the hook (useLogsPerFrame.ts) so it runs without a DOM in tests.
 */
export interface FrameScheduler {
  request(callback: () => void): number;
  cancel(handle: number): void;
}

export const animationFrames: FrameScheduler = {
  request: (callback) => requestAnimationFrame(() => callback()),
  cancel: (handle) => cancelAnimationFrame(handle),
};

/** Subscribes; returns the unsubscribe, which also drops a frame still pending. */
export function perFrame<S>(
  subscribe: (listener: (state: S, previous: S) => void) => () => void,
  changed: (state: S, previous: S) => boolean,
  frames: FrameScheduler,
  apply: () => void,
): () => void {
  let pending: number | null = null;
  const unsubscribe = subscribe((state, previous) => {
    if (pending !== null || !changed(state, previous)) return;
    pending = frames.request(() => {
      pending = null;
      apply();
    });
  });
  return () => {
    unsubscribe();
    if (pending !== null) frames.cancel(pending);
    pending = null;
  };
}

/**
 * "This connection closed", said once: listeners added before are called when it happens, a
 * listener added after is called at once (on a microtask, like the others), so nobody waits
 * for a close that already happened. Shared by the QMP and ssh connections to the guest.
 */
export class CloseSignal {
  private closed = false;
  private readonly listeners = new Set<() => void>();

  get isClosed(): boolean {
    return this.closed;
  }

  /** Adds a listener; returns a function that removes it. */
  onClose(listener: () => void): () => void {
    if (this.closed) {
      queueMicrotask(listener);
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Marks it closed and calls each listener once; false if it was closed already. */
  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    for (const listener of this.listeners) listener();
    this.listeners.clear();
    return true;
  }
}

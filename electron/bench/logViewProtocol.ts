/**
 * What the log-view benchmark says to its serve child over Node IPC. The child owns the core
 * (so its RSS is the core's alone); the parent owns Chromium and the clock.
 */
export type ToServe =
  /** Builds a run's text before it is timed: the xterm page's run is built before its clock starts too. */
  | { kind: 'prepare'; runId: string; count: number }
  | { kind: 'feed'; runId: string; count: number; ratePerSecond: number | null }
  | { kind: 'ringLines'; lines: number }
  | { kind: 'memory' }
  | { kind: 'close' };

export type FromServe =
  | { kind: 'ready'; url: string }
  | { kind: 'prepared'; runId: string }
  | { kind: 'fed'; appended: number; droppedFromBatches: number; ms: number }
  | { kind: 'ringLinesSet'; lines: number }
  | { kind: 'memory'; rssBytes: number; heapUsedBytes: number }
  | { kind: 'closed' }
  | { kind: 'failed'; message: string };

export function isMessageKind<K extends string>(message: unknown, kind: K): message is { kind: K } {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === kind;
}

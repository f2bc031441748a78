/**
 * The core as the doors see it: one object built by `createCore()`, holding all state.
 * Doors (Electron IPC, the headless WebSocket, the CLI socket) validate input against the
 * contract with `dispatch()` and hold no logic of their own.
 */
import type { CoreEvent, RequestName, RequestOutput, requests } from '../ipc/contract.js';
import type { z } from 'zod';
import type { StatePaths } from './paths.js';
import type { BuilderLease } from './vm/onDemandBuilder.js';

export type Door = 'electron' | 'headless' | 'cli';

/** The already-validated input of a request (defaults applied). */
export type ValidInput<N extends RequestName> = z.output<(typeof requests)[N]['input']>;

/** One domain's request handlers (`vm.*`, `logs.*`, ...), as its handler module returns them. */
export type HandlersFor<Prefix extends string> = {
  [N in Extract<RequestName, `${Prefix}.${string}`>]: (input: ValidInput<N>, door: Door) => Promise<RequestOutput<N>>;
};

export interface Core {
  readonly paths: StatePaths;
  handle<N extends RequestName>(name: N, input: ValidInput<N>, door: Door): Promise<RequestOutput<N>>;
  /** Every event the core emits, in order. Returns the unsubscribe function. */
  subscribe(listener: (event: CoreEvent) => void): () => void;
  /**
   * Power events come from the Electron shell (powerMonitor) on a Mac; the core only defines
   * the interface, so it stays testable in Node.
   */
  power: {
    suspended(): void;
    resumed(): void;
  };
  /**
   * Starts the builder if needed, waits until it is ready and holds it (no idle stop) until the
   * lease is released: `builder-bar proxy` holds one per ssh connection, through the CLI socket.
   */
  holdBuilder(): Promise<BuilderLease>;
  /** Shut the core down; `stopBuilder` stops the VM too, otherwise it is left for adoption. */
  close(options: { stopBuilder: boolean }): Promise<void>;
}

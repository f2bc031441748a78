/**
 * The JSON messages of the two socket doors (the headless WebSocket and the CLI's local
 * socket; the CLI socket frames them as one JSON object per line). Electron IPC carries the
 * same request/reply shapes over `ipcChannels` instead.
 *
 *   client -> core   { id, name, input }          a request from the contract
 *   core -> client   { id, reply }                its envelope
 *   core -> client   { event, payload }           an event, pushed to every subscribed client
 *   core -> browser  L{runs}\n<texts>             the headless door's `logs` event, packed (logFrame.ts)
 *
 * The headless door authenticates the upgrade with `?token=` (a random per-run token the
 * `serve` command prints in the URL's fragment), and checks Host and Origin.
 */
import { z } from 'zod';
import type { Envelope, EventName } from './contract.js';

export const WireRequestSchema = z
  .object({
    id: z.number().int().nonnegative(),
    name: z.string().max(100),
    // Optional: a request without input is one with `{}` (dispatch.ts).
    input: z.unknown().optional(),
  })
  .strict();
export type WireRequest = z.infer<typeof WireRequestSchema>;

export type WireReply = { id: number; reply: Envelope<unknown> };
export type WireEvent = { event: EventName; payload: unknown };
export type WireMessage = WireReply | WireEvent;

/** The largest message a door accepts; anything bigger is refused, not parsed. */
export const MAX_WIRE_MESSAGE_BYTES = 1024 * 1024;

/**
 * A reply as the wire's JSON. A reply that cannot be written as JSON (longer than a string may
 * be: ten thousand branches once made one; a value JSON has no form for) becomes an error
 * envelope naming the request, so the client is answered instead of waiting for ever.
 * `onUnsendable` hears why, for the app log.
 */
export function replyJson(id: number, reply: Envelope<unknown>, name: string, onUnsendable: (error: unknown) => void): string {
  try {
    return JSON.stringify({ id, reply } satisfies WireReply);
  } catch (error) {
    onUnsendable(error);
    const unsendable: WireReply = {
      id,
      reply: {
        ok: false,
        error: {
          code: 'internal',
          message: `The answer to ${name.slice(0, 100)} could not be sent: ${error instanceof Error ? error.message : String(error)}.`,
          hint: 'This is a bug in Builder Bar: please report it with the bundle "builder-bar diagnostics" writes.',
        },
      },
    };
    return JSON.stringify(unsendable);
  }
}

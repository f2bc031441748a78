/**
 * The CLI socket speaks the wire format of `electron/ipc/wire.ts`, one JSON object per line,
 * plus one message of its own: a client asks for events. Most CLI commands are one request and
 * one reply, so events are pushed only to clients that subscribed (`logs --follow`,
 * `start --wait`), unlike the WebSocket door where every client is a live UI.
 *
 *   client -> core   { id, subscribe: ["status", "logs"] }   reply: { id, reply: { ok, value: { subscribed } } }
 *   client -> core   { id, hold: "builder" }                  reply: { id, reply: { ok, value: { sshPort } } }
 *   core -> client   { fatal: ErrorInfo }                     the line could not be read; the core hangs up
 *
 * `hold` is `builder-bar proxy`'s: the core starts the builder if needed and replies once it is
 * ready; the builder counts as in use (no idle stop) until this connection closes.
 */
import { z } from 'zod';
import { events, type ErrorInfo, type EventName } from '../../ipc/contract.js';
import { WireRequestSchema, type WireRequest } from '../../ipc/wire.js';

const eventNames = Object.keys(events) as [EventName, ...EventName[]];
export const EventNameSchema = z.enum(eventNames);

export const SubscribeMessageSchema = z
  .object({
    id: z.number().int().nonnegative(),
    subscribe: z.array(EventNameSchema).max(eventNames.length),
  })
  .strict();
export type SubscribeMessage = z.infer<typeof SubscribeMessageSchema>;

export const HoldMessageSchema = z.object({ id: z.number().int().nonnegative(), hold: z.literal('builder') }).strict();
export type HoldMessage = z.infer<typeof HoldMessageSchema>;

export const HoldReplySchema = z.object({ sshPort: z.number().int().min(1).max(65535) }).strict();

export type SocketClientMessage = WireRequest | SubscribeMessage | HoldMessage;

/** A message with a `subscribe` key is a subscription, one with `hold` a hold; anything else must be a request. */
export function socketMessageSchemaFor(json: unknown): z.ZodType<SocketClientMessage> {
  const object = typeof json === 'object' && json !== null;
  if (object && 'subscribe' in json) return SubscribeMessageSchema;
  if (object && 'hold' in json) return HoldMessageSchema;
  return WireRequestSchema;
}

export function isHold(message: SocketClientMessage): message is HoldMessage {
  return 'hold' in message;
}

export type SocketFatal = { fatal: ErrorInfo };

export function isSubscribe(message: SocketClientMessage): message is SubscribeMessage {
  return 'subscribe' in message;
}

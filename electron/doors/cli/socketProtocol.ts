/**
 * The CLI socket speaks the wire format of `electron/ipc/wire.ts`, one JSON object per line,
 * plus one message of its own: a client asks for events. Most CLI commands are one request and
 * one reply, so events are pushed only to clients that subscribed (`logs --follow`,
 * `start --wait`), unlike the WebSocket door where every client is a live UI.
 *
 *   client -> core   { id, subscribe: ["status", "logs"] }   reply: { id, reply: { ok, value: { subscribed } } }
 *   core -> client   { fatal: ErrorInfo }                     the line could not be read; the core hangs up
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

export type SocketClientMessage = WireRequest | SubscribeMessage;

/** A message with a `subscribe` key is a subscription; anything else must be a request. */
export function socketMessageSchemaFor(json: unknown): z.ZodType<SocketClientMessage> {
  const wantsEvents = typeof json === 'object' && json !== null && 'subscribe' in json;
  return wantsEvents ? SubscribeMessageSchema : WireRequestSchema;
}

export type SocketFatal = { fatal: ErrorInfo };

export function isSubscribe(message: SocketClientMessage): message is SubscribeMessage {
  return 'subscribe' in message;
}

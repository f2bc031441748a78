/**
 * Turning one message a socket client sent into a request the contract knows, for both socket
 * doors (the headless WebSocket and the CLI's local socket). Everything here is about the
 * envelope of the message; the request itself is checked by `dispatch()`.
 *
 * When a message is refused but its `id` can be read, the client gets an error reply for that
 * id; when not even the id can be read, there is nobody to answer and the door closes the
 * connection instead.
 */
import { z } from 'zod';
import type { ErrorInfo } from '../ipc/contract.js';
import { MAX_WIRE_MESSAGE_BYTES, WireRequestSchema, type WireRequest } from '../ipc/wire.js';

export type ParsedMessage<T> = { ok: true; message: T } | { ok: false; id: number | null; error: ErrorInfo };

const IdOnlySchema = z.object({ id: z.number().int().nonnegative() });

export function invalidRequest(message: string): ErrorInfo {
  return { code: 'invalid-request', message, hint: null };
}

/**
 * Parses JSON text and checks it against a schema (or the schema `pick` chooses for this JSON,
 * which gives clearer messages than a union), recovering the id for the error reply.
 */
export function parseMessage<T>(text: string, pick: z.ZodType<T> | ((json: unknown) => z.ZodType<T>)): ParsedMessage<T> {
  if (Buffer.byteLength(text, 'utf8') > MAX_WIRE_MESSAGE_BYTES) {
    return { ok: false, id: null, error: invalidRequest(`Message larger than ${MAX_WIRE_MESSAGE_BYTES} bytes.`) };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, id: null, error: invalidRequest('Message is not valid JSON.') };
  }
  const schema = typeof pick === 'function' ? pick(json) : pick;
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const id = IdOnlySchema.safeParse(json);
  const problems = parsed.error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(message)'}: ${issue.message}`)
    .join('; ');
  return {
    ok: false,
    id: id.success ? id.data.id : null,
    error: invalidRequest(`Message does not match the wire format: ${problems}`),
  };
}

export function parseWireRequest(text: string): ParsedMessage<WireRequest> {
  return parseMessage(text, WireRequestSchema);
}

/**
 * Reading the JSON files Builder Bar keeps (records, histories, locks): anything on disk may be
 * truncated by a crash or written by someone else, so a file is only ever trusted through its
 * schema, and "not JSON" and "not this shape" come back as a reason instead of a throw, for the
 * caller to decide: ignore it, move it aside, or say so.
 */
import { promises as fs } from 'node:fs';
import type { z } from 'zod';

export type ParsedJson<T> =
  | { ok: true; value: T }
  /** `path` is where the shape first differs (empty for text that is not JSON). */
  | { ok: false; reason: string; notJson: boolean; path: string };

export function parseJsonWith<S extends z.ZodType>(schema: S, text: string): ParsedJson<z.infer<S>> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}`, notJson: true, path: '' };
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  return { ok: false, reason: `unexpected shape: ${issue?.message ?? 'invalid'} at ${path}`, notJson: false, path };
}

/** The file's value, or null when it is missing, unreadable, not JSON or not of the schema's shape. */
export async function readJsonOrNull<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S> | null> {
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  const parsed = parseJsonWith(schema, text);
  return parsed.ok ? parsed.value : null;
}

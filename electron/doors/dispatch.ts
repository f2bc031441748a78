/**
 * The one place a door hands a request to the core: checks the name and the input against the
 * contract, runs it, and answers with the envelope. Nothing a client sends reaches the core
 * unvalidated, and no exception crosses a door.
 */
import { isRequestName, requests, type Envelope } from '../ipc/contract.js';
import type { Core, Door } from '../core/core.js';
import { toErrorInfo } from '../core/errors.js';

export async function dispatch(core: Core, door: Door, name: unknown, input: unknown): Promise<Envelope<unknown>> {
  if (!isRequestName(name)) {
    return {
      ok: false,
      error: { code: 'invalid-request', message: `Unknown request ${describeName(name)}.`, hint: null },
    };
  }
  const parsed = requests[name].input.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.length ? issue.path.join('.') : '(input)'}: ${issue.message}`)
      .join('; ');
    return {
      ok: false,
      error: { code: 'invalid-request', message: `Invalid input for ${name}: ${problems}`, hint: null },
    };
  }
  try {
    // The parsed value has the schema's output type for this name; TypeScript cannot follow
    // the correlation between `name` and `parsed.data`, so it is restated here once.
    const value = await core.handle(name, parsed.data as never, door);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: toErrorInfo(error) };
  }
}

/**
 * The name as a message may show it: any value can arrive here (Electron's IPC clones BigInts and
 * cyclic objects, which JSON.stringify throws on), and a megabyte of name is not worth echoing.
 */
export function describeName(name: unknown): string {
  if (typeof name === 'string') return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  if (name === null) return '(null)';
  return `(a ${typeof name}, not a name)`;
}

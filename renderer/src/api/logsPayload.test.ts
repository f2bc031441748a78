import { describe, expect, it } from 'vitest';
import { events } from './contract.js';
import { quickLogsPayload } from './logsPayload.js';

const line = { seq: 7, time: 1_700_000_000_000, source: 'app', level: 'info', text: '\u001b[31mred\u001b[0m' };

/** The quick check never accepts what the schema refuses, and accepts it as the schema does. */
function agreesWithSchema(payload: unknown): void {
  const quick = quickLogsPayload(payload);
  const schema = events.logs.safeParse(payload);
  if (quick !== null) {
    expect(schema.success).toBe(true);
    expect(quick).toEqual(schema.data);
  }
}

describe('quickLogsPayload', () => {
  it('takes a batch of ordinary lines as they were parsed', () => {
    const payload = { lines: [line, { ...line, seq: 8, source: 'build:build-1a_b', level: 'error' }] };
    const quick = quickLogsPayload(payload);
    expect(quick).toEqual(payload);
    expect(quick!.lines[0]).toBe(line);
    agreesWithSchema(payload);
  });

  it('takes an empty batch', () => {
    expect(quickLogsPayload({ lines: [] })).toEqual({ lines: [] });
  });

  const refused: [string, unknown][] = [
    ['no payload', null],
    ['no lines', {}],
    ['lines not an array', { lines: 'x' }],
    ['a line that is not an object', { lines: [3] }],
    ['a line that is an array', { lines: [[1, 2, 3, 4, 5]] }],
    ['a line with a field the contract does not have (the schema strips it)', { lines: [{ ...line, extra: 'x' }] }],
    ['a line missing a field', { lines: [{ seq: 1, time: 2, source: 'app', level: 'info' }] }],
    ['a negative seq', { lines: [{ ...line, seq: -1 }] }],
    ['a fractional seq', { lines: [{ ...line, seq: 1.5 }] }],
    ['an unsafe seq', { lines: [{ ...line, seq: 2 ** 60 }] }],
    ['a string time', { lines: [{ ...line, time: '1' }] }],
    ['an infinite time', { lines: [{ ...line, time: Number.POSITIVE_INFINITY }] }],
    ['an unknown source', { lines: [{ ...line, source: 'kernel' }] }],
    ['a build source with a path in it', { lines: [{ ...line, source: 'build:../etc' }] }],
    ['an empty build id', { lines: [{ ...line, source: 'build:' }] }],
    ['an unknown level', { lines: [{ ...line, level: 'trace' }] }],
    ['a missing text', { lines: [{ ...line, text: undefined }] }],
    ['one bad line among good ones', { lines: [line, { ...line, seq: 8, level: 'loud' }] }],
  ];
  for (const [what, payload] of refused) {
    it(`leaves ${what} to the schema`, () => {
      expect(quickLogsPayload(payload)).toBeNull();
      agreesWithSchema(payload);
    });
  }
});

/**
 * Nix's `--log-format internal-json` activity stream, typed. Nix (2.8, `JSONLogger` in
 * src/libutil/logging.cc) prints one `@nix {json}` line per event on stderr: `start`/`stop`/
 * `result` of activities with numeric ids, and `msg` lines. `fields` arrays are positional and
 * their meaning depends on the activity or result type (layouts checked against the recorded
 * fixtures in ./fixtures). Anything that is not a well-formed `@nix` line is plain log text:
 * the parser never throws on input.
 */

/** Nix's ActivityType numbers (src/libutil/logging.hh). */
export const ActivityType = {
  unknown: 0,
  copyPath: 100,
  fileTransfer: 101,
  realise: 102,
  copyPaths: 103,
  builds: 104,
  build: 105,
  optimiseStore: 106,
  verifyPaths: 107,
  substitute: 108,
  queryPathInfo: 109,
  postBuildHook: 110,
  buildWaiting: 111,
} as const;

/** Nix's ResultType numbers. */
export const ResultType = {
  fileLinked: 100,
  buildLogLine: 101,
  untrustedPath: 102,
  corruptedPath: 103,
  setPhase: 104,
  progress: 105,
  setExpected: 106,
  postBuildLogLine: 107,
} as const;

export type Field = string | number;

export type ActivityDetail =
  /** `machine` is '' for a local build (the queue shows it as `local`). */
  | { type: 'build'; drvPath: string; machine: string; curRound: number; nrRounds: number }
  | { type: 'copy-path'; path: string; from: string; to: string }
  | { type: 'copy-paths' }
  | { type: 'file-transfer'; uri: string }
  | { type: 'realise' }
  | { type: 'builds' }
  | { type: 'substitute'; path: string; substituter: string }
  | { type: 'build-waiting' }
  /** Nix's actUnknown: a step described only by its text ("connecting to 'ssh://…'"). */
  | { type: 'text-only' }
  | { type: 'other'; activityType: number; fields: Field[] };

export type ResultDetail =
  | { type: 'progress'; done: number; expected: number; running: number; failed: number }
  | { type: 'build-log-line'; line: string }
  | { type: 'post-build-log-line'; line: string }
  | { type: 'set-phase'; phase: string }
  | { type: 'set-expected'; activityType: number; expected: number }
  | { type: 'other'; resultType: number; fields: Field[] };

export type ActivityEvent =
  | { kind: 'start'; id: number; level: number; text: string; parent: number | null; activity: ActivityDetail }
  | { kind: 'stop'; id: number }
  | { kind: 'result'; id: number; result: ResultDetail }
  /** `text` without ANSI escapes; `raw` as Nix sent it. Level 0 is an error, 1 a warning. */
  | { kind: 'msg'; level: number; text: string; raw: string }
  /** A line that is not a `@nix` event: the builder's own or Nix's plain output. */
  | { kind: 'plain'; text: string };

const PREFIX = '@nix ';

// CSI sequences (colours, cursor moves) and OSC sequences (hyperlinks).
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function asNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function asFields(value: unknown): Field[] {
  if (!Array.isArray(value)) return [];
  return value.filter((field): field is Field => typeof field === 'string' || typeof field === 'number');
}

function stringAt(fields: Field[], index: number): string | null {
  return asString(fields[index]);
}

function numberAt(fields: Field[], index: number): number | null {
  return asNumber(fields[index]);
}

function activityDetail(activityType: number, fields: Field[]): ActivityDetail {
  const other: ActivityDetail = { type: 'other', activityType, fields };
  switch (activityType) {
    case ActivityType.build: {
      const drvPath = stringAt(fields, 0);
      const machine = stringAt(fields, 1);
      if (drvPath === null || machine === null) return other;
      return { type: 'build', drvPath, machine, curRound: numberAt(fields, 2) ?? 1, nrRounds: numberAt(fields, 3) ?? 1 };
    }
    case ActivityType.copyPath: {
      const [path, from, to] = [stringAt(fields, 0), stringAt(fields, 1), stringAt(fields, 2)];
      if (path === null || from === null || to === null) return other;
      return { type: 'copy-path', path, from, to };
    }
    case ActivityType.fileTransfer: {
      const uri = stringAt(fields, 0);
      return uri === null ? other : { type: 'file-transfer', uri };
    }
    case ActivityType.substitute: {
      const [path, substituter] = [stringAt(fields, 0), stringAt(fields, 1)];
      return path === null || substituter === null ? other : { type: 'substitute', path, substituter };
    }
    case ActivityType.copyPaths:
      return { type: 'copy-paths' };
    case ActivityType.realise:
      return { type: 'realise' };
    case ActivityType.builds:
      return { type: 'builds' };
    case ActivityType.buildWaiting:
      return { type: 'build-waiting' };
    case ActivityType.unknown:
      return { type: 'text-only' };
    default:
      return other;
  }
}

function resultDetail(resultType: number, fields: Field[]): ResultDetail {
  const other: ResultDetail = { type: 'other', resultType, fields };
  switch (resultType) {
    case ResultType.progress: {
      const [done, expected, running, failed] = [0, 1, 2, 3].map((index) => numberAt(fields, index));
      if (done == null || expected == null || running == null || failed == null) return other;
      return { type: 'progress', done, expected, running, failed };
    }
    case ResultType.buildLogLine: {
      const line = stringAt(fields, 0);
      return line === null ? other : { type: 'build-log-line', line };
    }
    case ResultType.postBuildLogLine: {
      const line = stringAt(fields, 0);
      return line === null ? other : { type: 'post-build-log-line', line };
    }
    case ResultType.setPhase: {
      const phase = stringAt(fields, 0);
      return phase === null ? other : { type: 'set-phase', phase };
    }
    case ResultType.setExpected: {
      const [activityType, expected] = [numberAt(fields, 0), numberAt(fields, 1)];
      return activityType === null || expected === null ? other : { type: 'set-expected', activityType, expected };
    }
    default:
      return other;
  }
}

/** One stderr line (without its newline) -> one event. */
export function parseActivityLine(line: string): ActivityEvent {
  const plain: ActivityEvent = { kind: 'plain', text: line };
  if (!line.startsWith(PREFIX)) return plain;
  let json: unknown;
  try {
    json = JSON.parse(line.slice(PREFIX.length));
  } catch {
    return plain;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return plain;
  const record = json as Record<string, unknown>;
  const id = asNumber(record.id);
  switch (record.action) {
    case 'start': {
      const activityType = asNumber(record.type);
      if (id === null || activityType === null) return plain;
      return {
        kind: 'start',
        id,
        level: asNumber(record.level) ?? 0,
        text: stripAnsi(asString(record.text) ?? ''),
        // Nix 2.8 sends no parent; later versions do.
        parent: asNumber(record.parent) || null,
        activity: activityDetail(activityType, asFields(record.fields)),
      };
    }
    case 'stop':
      return id === null ? plain : { kind: 'stop', id };
    case 'result': {
      const resultType = asNumber(record.type);
      if (id === null || resultType === null) return plain;
      return { kind: 'result', id, result: resultDetail(resultType, asFields(record.fields)) };
    }
    case 'msg': {
      const raw = asString(record.msg);
      if (raw === null) return plain;
      return { kind: 'msg', level: asNumber(record.level) ?? 0, text: stripAnsi(raw), raw };
    }
    default:
      return plain;
  }
}

/**
 * Splits a byte stream into lines and parses each. Chunks may end mid-line (and mid-character:
 * a string decoder keeps UTF-8 sequences whole); `end()` parses what is left.
 */
export class ActivityStreamParser {
  private pending = '';
  private readonly decoder = new TextDecoder('utf-8');

  push(chunk: string | Uint8Array): ActivityEvent[] {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines.map((line) => parseActivityLine(line.endsWith('\r') ? line.slice(0, -1) : line));
  }

  end(): ActivityEvent[] {
    this.pending += this.decoder.decode();
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? [] : [parseActivityLine(rest)];
  }
}

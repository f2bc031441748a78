/**
 * Nix's `--log-format internal-json` activity stream, typed: the one place that knows how the
 * stream differs between Nix versions. Nix (`JSONLogger` in src/libutil/logging.cc) prints one
 * `@nix {json}` line per event on stderr (the same records without the prefix go to
 * `json-log-path` from 2.30 on): `start`/`stop`/`result` of activities with numeric ids, and
 * `msg` lines. `fields` arrays are positional and their meaning depends on the activity or
 * result type (layouts checked against the fixtures recorded from Nix 2.8 and 2.34 in
 * ./fixtures). Anything that is not a well-formed `@nix` line is plain log text: the parser
 * never throws on input.
 *
 * What changed since Nix 2.8 (2022), as read in Nix 2.34's logging.hh/logging.cc and seen in the
 * recordings:
 * - `start` records carry `parent` (2.8 sends none).
 * - Activity types FetchTree (112, Nix 2.20) and, after 2.35, FetchToStore (113); result types
 *   FetchStatus (108, Nix 2.20) and FetchToStore (109, after 2.35).
 * - BuildWaiting (111) "waiting for a machine to build '<drv>'" (both versions) names its drv
 *   only in the text, while 2.8's "resolved derivation" one has it in a field: read from either.
 * - Error `msg` records: a failed build reads "Cannot build '<drv>'.\nReason: builder failed
 *   with exit code 1.\nOutput paths: …" (2.8: "builder for '<drv>' failed with exit code 1").
 *   Both send `raw_msg` (without the "error:" label) and `file`/`line`/`column` (null when
 *   there is no position); `message` below is the one-line form the queue keeps.
 * - The `builds` activity's progress counts one build more than there are derivations (3 of 4
 *   when all 3 are done): the queue (buildQueue.ts) reconciles it with the derivations it knows.
 * A type no known Nix sends (a newer Nix's) becomes `unknown` with its number, text and fields,
 * so the queue can show it as such instead of dropping it or breaking.
 *
 * Activity ids are `counter + (pid << 32)` (Nix's Activity constructor), 64-bit integers: a Nix
 * whose pid is 2^21 or more (Linux hands those out: systemd sets pid_max to 4194304) writes ids
 * past 2^53, where JSON.parse rounds neighbours to one number, and two running builds would
 * share an id. So ids are exact: a number when it is one, otherwise its decimal digits.
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
  /** Nix >= 2.20. */
  fetchTree: 112,
  /** After Nix 2.35 (its main branch). */
  fetchToStore: 113,
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
  /** Nix >= 2.20. */
  fetchStatus: 108,
  /** After Nix 2.35 (its main branch). */
  fetchToStore: 109,
} as const;

export type Field = string | number;

/** An activity id: a number when it is a safe integer, else its exact decimal digits (see above). */
export type ActivityId = number | string;

export type ActivityDetail =
  /** `machine` is '' for a local build (the queue shows it as `local`). */
  | { type: 'build'; drvPath: string; machine: string; curRound: number; nrRounds: number }
  | { type: 'copy-path'; path: string; from: string; to: string }
  | { type: 'copy-paths' }
  | { type: 'file-transfer'; uri: string }
  | { type: 'realise' }
  | { type: 'builds' }
  | { type: 'substitute'; path: string; substituter: string }
  | { type: 'query-path-info'; path: string; substituter: string }
  | { type: 'optimise-store' }
  | { type: 'verify-paths' }
  /** The hook run after a build; its output arrives as post-build-log-line results. */
  | { type: 'post-build-hook'; drvPath: string }
  /** Waiting for a machine, a lock or a resolved derivation; `drvPath` when Nix names one. */
  | { type: 'build-waiting'; drvPath: string | null }
  | { type: 'fetch-tree' }
  /** `hashOnly`: a dry run only hashes the source. */
  | { type: 'fetch-to-store'; path: string; hashOnly: boolean }
  /** Nix's actUnknown: a step described only by its text ("connecting to 'ssh://…'"). */
  | { type: 'text-only' }
  /**
   * A type no Nix we know sends (`new-type`: a newer Nix's), or a known one whose fields do not
   * have the layout we know (`odd-fields`). Shown as such, never dropped.
   */
  | { type: 'unknown'; activityType: number; fields: Field[]; why: 'new-type' | 'odd-fields' };

export type ResultDetail =
  | { type: 'progress'; done: number; expected: number; running: number; failed: number }
  | { type: 'build-log-line'; line: string }
  | { type: 'post-build-log-line'; line: string }
  | { type: 'set-phase'; phase: string }
  | { type: 'set-expected'; activityType: number; expected: number }
  | { type: 'file-linked'; bytes: number; blocks: number }
  | { type: 'untrusted-path'; path: string }
  | { type: 'corrupted-path'; path: string }
  /** A fetch's status line (a git fetch's progress). */
  | { type: 'fetch-status'; line: string }
  | { type: 'fetch-to-store'; path: string }
  | { type: 'unknown'; resultType: number; fields: Field[]; why: 'new-type' | 'odd-fields' };

export interface MessagePosition {
  file: string | null;
  line: number;
  column: number | null;
}

export type ActivityEvent =
  | { kind: 'start'; id: ActivityId; level: number; text: string; parent: ActivityId | null; activity: ActivityDetail }
  | { kind: 'stop'; id: ActivityId }
  | { kind: 'result'; id: ActivityId; result: ResultDetail }
  /**
   * `text` without ANSI escapes; `raw` as Nix sent it. Level 0 is an error, 1 a warning.
   * `message`: what it says in one line, without the "error:"/"warning:" label (from `raw_msg`
   * when Nix sends it). `position`: where in a Nix file, when Nix names one.
   */
  | { kind: 'msg'; level: number; text: string; raw: string; message: string; position: MessagePosition | null }
  /** A line that is not a `@nix` event: the builder's own or Nix's plain output. */
  | { kind: 'plain'; text: string };

/** "unknown activity type 115: frobnicating '/nix/store/…'", for the queue and the build's log. */
export function describeUnknownActivity(activity: Extract<ActivityDetail, { type: 'unknown' }>, text: string): string {
  const what = activity.why === 'new-type' ? `unknown activity type ${activity.activityType}` : `activity type ${activity.activityType} with unexpected fields ${JSON.stringify(activity.fields)}`;
  return text === '' ? what : `${what}: ${text}`;
}

/** "unknown result type 120 [\"x\",1]". */
export function describeUnknownResult(result: Extract<ResultDetail, { type: 'unknown' }>): string {
  return result.why === 'new-type'
    ? `unknown result type ${result.resultType} ${JSON.stringify(result.fields)}`
    : `result type ${result.resultType} with unexpected fields ${JSON.stringify(result.fields)}`;
}

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

const STORE_DRV = /\/nix\/store\/[0-9a-z]{32}-[^\s'"]+\.drv/;
const KNOWN_ACTIVITIES: ReadonlySet<number> = new Set(Object.values(ActivityType));
const KNOWN_RESULTS: ReadonlySet<number> = new Set(Object.values(ResultType));

function activityDetail(activityType: number, fields: Field[], text: string): ActivityDetail {
  const odd: ActivityDetail = { type: 'unknown', activityType, fields, why: KNOWN_ACTIVITIES.has(activityType) ? 'odd-fields' : 'new-type' };
  switch (activityType) {
    case ActivityType.build: {
      const drvPath = stringAt(fields, 0);
      const machine = stringAt(fields, 1);
      if (drvPath === null || machine === null) return odd;
      return { type: 'build', drvPath, machine, curRound: numberAt(fields, 2) ?? 1, nrRounds: numberAt(fields, 3) ?? 1 };
    }
    case ActivityType.copyPath: {
      const [path, from, to] = [stringAt(fields, 0), stringAt(fields, 1), stringAt(fields, 2)];
      if (path === null || from === null || to === null) return odd;
      return { type: 'copy-path', path, from, to };
    }
    case ActivityType.fileTransfer: {
      const uri = stringAt(fields, 0);
      return uri === null ? odd : { type: 'file-transfer', uri };
    }
    case ActivityType.substitute:
    case ActivityType.queryPathInfo: {
      const [path, substituter] = [stringAt(fields, 0), stringAt(fields, 1)];
      if (path === null || substituter === null) return odd;
      return { type: activityType === ActivityType.substitute ? 'substitute' : 'query-path-info', path, substituter };
    }
    case ActivityType.postBuildHook: {
      const drvPath = stringAt(fields, 0);
      return drvPath === null ? odd : { type: 'post-build-hook', drvPath };
    }
    case ActivityType.buildWaiting:
      // "resolved derivation" (2.8) has [drv, resolved drv]; "waiting for a machine to build '<drv>'" has no fields.
      return { type: 'build-waiting', drvPath: stringAt(fields, 0) ?? STORE_DRV.exec(text)?.[0] ?? null };
    case ActivityType.fetchToStore: {
      const path = stringAt(fields, 0);
      return path === null ? odd : { type: 'fetch-to-store', path, hashOnly: numberAt(fields, 1) === 1 };
    }
    case ActivityType.copyPaths:
      return { type: 'copy-paths' };
    case ActivityType.realise:
      return { type: 'realise' };
    case ActivityType.builds:
      return { type: 'builds' };
    case ActivityType.optimiseStore:
      return { type: 'optimise-store' };
    case ActivityType.verifyPaths:
      return { type: 'verify-paths' };
    case ActivityType.fetchTree:
      return { type: 'fetch-tree' };
    case ActivityType.unknown:
      return { type: 'text-only' };
    default:
      return odd;
  }
}

function resultDetail(resultType: number, fields: Field[]): ResultDetail {
  const odd: ResultDetail = { type: 'unknown', resultType, fields, why: KNOWN_RESULTS.has(resultType) ? 'odd-fields' : 'new-type' };
  switch (resultType) {
    case ResultType.progress: {
      const [done, expected, running, failed] = [0, 1, 2, 3].map((index) => numberAt(fields, index));
      if (done == null || expected == null || running == null || failed == null) return odd;
      return { type: 'progress', done, expected, running, failed };
    }
    case ResultType.buildLogLine:
    case ResultType.postBuildLogLine:
    case ResultType.fetchStatus: {
      const line = stringAt(fields, 0);
      if (line === null) return odd;
      const type = resultType === ResultType.buildLogLine ? 'build-log-line' : resultType === ResultType.postBuildLogLine ? 'post-build-log-line' : 'fetch-status';
      return { type, line };
    }
    case ResultType.setPhase: {
      const phase = stringAt(fields, 0);
      return phase === null ? odd : { type: 'set-phase', phase };
    }
    case ResultType.setExpected: {
      const [activityType, expected] = [numberAt(fields, 0), numberAt(fields, 1)];
      return activityType === null || expected === null ? odd : { type: 'set-expected', activityType, expected };
    }
    case ResultType.fileLinked: {
      const [bytes, blocks] = [numberAt(fields, 0), numberAt(fields, 1)];
      return bytes === null || blocks === null ? odd : { type: 'file-linked', bytes, blocks };
    }
    case ResultType.untrustedPath:
    case ResultType.corruptedPath:
    case ResultType.fetchToStore: {
      const path = stringAt(fields, 0);
      if (path === null) return odd;
      const type = resultType === ResultType.untrustedPath ? 'untrusted-path' : resultType === ResultType.corruptedPath ? 'corrupted-path' : 'fetch-to-store';
      return { type, path };
    }
    default:
      return odd;
  }
}

/** A message in one line, its label ("error:", "warning:") and ANSI gone, runs of whitespace one space. */
function oneLine(text: string): string {
  return stripAnsi(text).replace(/^\s*(?:error|warning|trace|note):\s*/, '').replace(/\s+/g, ' ').trim();
}

/**
 * The record's top-level `key` as an exact id. A number past 2^53 was rounded by JSON.parse, so
 * its digits are read again from the text (Nix writes keys unspaced and unescaped; a string
 * value cannot hold an unescaped quote, so `,"id":` outside the record's own keys never matches).
 */
function activityIdOf(record: Record<string, unknown>, key: 'id' | 'parent', jsonText: string): ActivityId | null {
  const value = asNumber(record[key]);
  if (value === null || Number.isSafeInteger(value)) return value;
  return ID_DIGITS[key].exec(jsonText)?.[1] ?? value;
}

const ID_DIGITS = {
  id: /[{,]\s*"id"\s*:\s*(\d+)\s*[,}]/,
  parent: /[{,]\s*"parent"\s*:\s*(\d+)\s*[,}]/,
} as const;

function messagePosition(record: Record<string, unknown>): MessagePosition | null {
  const line = asNumber(record.line);
  if (line === null) return null;
  return { file: asString(record.file), line, column: asNumber(record.column) };
}

/** One stderr line (without its newline) -> one event. */
export function parseActivityLine(line: string): ActivityEvent {
  if (!line.startsWith(PREFIX)) return { kind: 'plain', text: line };
  return parseRecord(line.slice(PREFIX.length), line);
}

/**
 * One record as `json-log-path` receives it (the same JSON, no `@nix ` prefix); anything that is
 * not a well-formed record comes back as plain text.
 */
export function parseActivityJson(json: string): ActivityEvent {
  return parseRecord(json, json);
}

function parseRecord(jsonText: string, line: string): ActivityEvent {
  const plain: ActivityEvent = { kind: 'plain', text: line };
  let json: unknown;
  try {
    json = JSON.parse(jsonText);
  } catch {
    return plain;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return plain;
  const record = json as Record<string, unknown>;
  const id = activityIdOf(record, 'id', jsonText);
  switch (record.action) {
    case 'start': {
      const activityType = asNumber(record.type);
      if (id === null || activityType === null) return plain;
      const text = stripAnsi(asString(record.text) ?? '');
      return {
        kind: 'start',
        id,
        level: asNumber(record.level) ?? 0,
        text,
        // Nix 2.8 sends no parent; later versions do.
        parent: activityIdOf(record, 'parent', jsonText) || null,
        activity: activityDetail(activityType, asFields(record.fields), text),
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
      return {
        kind: 'msg',
        level: asNumber(record.level) ?? 0,
        text: stripAnsi(raw),
        raw,
        message: oneLine(asString(record.raw_msg) ?? raw),
        position: messagePosition(record),
      };
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
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    // Only the new text is searched for a newline: splitting everything pending on every chunk
    // made a long line quadratic (a builder printing a 40 MB line kept the core busy for ~45 s).
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline === -1) {
      this.pending += text;
      return [];
    }
    const lines = (this.pending + text.slice(0, lastNewline)).split('\n');
    this.pending = text.slice(lastNewline + 1);
    return lines.map((line) => parseActivityLine(withoutCarriageReturn(line)));
  }

  end(): ActivityEvent[] {
    this.pending += this.decoder.decode();
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? [] : [parseActivityLine(withoutCarriageReturn(rest))];
  }
}

/** A line as Nix meant it: a CRLF line end (a log relayed through a Windows-minded tool) is one end. */
function withoutCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

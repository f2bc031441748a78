/**
 * The `logs` event on the headless WebSocket, packed. A flood is tens of thousands of lines a
 * second, and as JSON objects each line carried its five field names, its `\u001b`s spelled as
 * six characters, and a string V8 builds in pieces and must copy again before sending: in a
 * profile of `serve` under a flood, JSON and its byte count were a third of the core's CPU, and
 * the window's JSON.parse plus a per-line check a good part of its own.
 *
 * A frame is one text message: `LOG_FRAME_MARK`, a JSON header, a newline, then every line's
 * text joined by newlines. Packing answers the two parts apart: the door turns each into bytes
 * on its own, since joined into one string they would be a rope V8 copies again before it can
 * count the bytes. Lines of one append share their time, source and level and have
 * consecutive `seq`s, so the header lists runs, `[firstSeq, time, source, level, count]`, not
 * lines. No JSON message starts with the mark. A text holding a newline cannot be packed (the
 * hub splits on newlines, so none should): the door then sends the plain JSON event.
 *
 * Unpacking checks what the contract's `events.logs` schema checks, by hand (at 50k lines a
 * second the schema's per-line work cost the window frames), and refuses anything else whole.
 */
import { BUILD_LOG_ID, FixedLogSourceSchema, LogLevelSchema, type LogLevel, type LogLine, type LogSource } from './contract.js';

export const LOG_FRAME_MARK = 'L';

type Run = [firstSeq: number, time: number, source: LogSource, level: LogLevel, count: number];

const fixedSources: ReadonlySet<string> = new Set(FixedLogSourceSchema.options);
const levels: ReadonlySet<string> = new Set(LogLevelSchema.options);
const buildPrefix = 'build:';

/** What `LogSourceSchema` accepts, without the schema's cost per line. */
export function isLogSource(value: unknown): value is LogSource {
  if (typeof value !== 'string') return false;
  if (fixedSources.has(value)) return true;
  return value.startsWith(buildPrefix) && BUILD_LOG_ID.test(value.slice(buildPrefix.length));
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && levels.has(value);
}

/** A frame in its two parts: `head + texts` is the message. */
export interface PackedLogFrame {
  head: string;
  texts: string;
}

/** The frame for `lines`, or null when one of them cannot be packed (a text with a newline, or none at all). */
export function packLogLines(lines: readonly LogLine[]): PackedLogFrame | null {
  if (lines.length === 0) return null;
  const runs: Run[] = [];
  const texts: string[] = new Array<string>(lines.length);
  let run: Run | null = null;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    if (line.text.includes('\n')) return null;
    texts[i] = line.text;
    if (run && line.seq === run[0] + run[4] && line.time === run[1] && line.source === run[2] && line.level === run[3]) {
      run[4] += 1;
    } else {
      run = [line.seq, line.time, line.source, line.level, 1];
      runs.push(run);
    }
  }
  return { head: `${LOG_FRAME_MARK}${JSON.stringify({ runs })}\n`, texts: texts.join('\n') };
}

/** The lines of a frame, or null when it is not a well-formed one (nothing of it is used then). */
export function unpackLogFrame(frame: string): LogLine[] | null {
  if (!frame.startsWith(LOG_FRAME_MARK)) return null;
  const headerEnd = frame.indexOf('\n');
  if (headerEnd < 0) return null;
  let header: unknown;
  try {
    header = JSON.parse(frame.slice(LOG_FRAME_MARK.length, headerEnd));
  } catch {
    return null;
  }
  const runs = typeof header === 'object' && header !== null ? (header as { runs?: unknown }).runs : undefined;
  if (!Array.isArray(runs) || runs.length === 0) return null;
  let total = 0;
  for (const run of runs as unknown[]) {
    if (!isRun(run)) return null;
    total += run[4];
  }
  const texts = frame.slice(headerEnd + 1).split('\n');
  if (texts.length !== total) return null;
  const lines: LogLine[] = new Array<LogLine>(total);
  let i = 0;
  for (const [firstSeq, time, source, level, count] of runs as Run[]) {
    for (let n = 0; n < count; n += 1, i += 1) lines[i] = { seq: firstSeq + n, time, source, level, text: texts[i]! };
  }
  return lines;
}

function isRun(value: unknown): value is Run {
  if (!Array.isArray(value) || value.length !== 5) return false;
  const [firstSeq, time, source, level, count] = value as unknown[];
  return (
    typeof firstSeq === 'number' &&
    Number.isSafeInteger(firstSeq) &&
    firstSeq >= 0 &&
    typeof time === 'number' &&
    Number.isFinite(time) &&
    isLogSource(source) &&
    isLogLevel(level) &&
    typeof count === 'number' &&
    Number.isSafeInteger(count) &&
    count > 0 &&
    Number.isSafeInteger(firstSeq + count)
  );
}

/**
 * The `logs` event, packed: a binary message on the headless WebSocket, and bytes in the
 * Electron door's IPC event (doors/logFrameBytes.ts makes them for both). A flood is tens of
 * thousands of lines a second, and as JSON objects each line carried its five field names,
 * its `\u001b`s spelled as six characters, and a string V8 builds in pieces and must copy
 * again before sending: in a profile of `serve` under a flood, JSON and its byte count were a
 * third of the core's CPU, and the window's JSON.parse plus a per-line check a good part of its
 * own.
 *
 * A frame is one binary message: `LOG_FRAME_MARK`, a JSON header, a newline, then every line's
 * text joined by newlines, all UTF-8. Packing answers the two parts apart: the door turns each
 * into bytes on its own, since joined into one string they would be a rope V8 copies again
 * before it can count the bytes. Lines of one append share their time, source and level and
 * have consecutive `seq`s, so the header lists runs, `[firstSeq, time, source, level, count]`,
 * not lines. A text holding a newline cannot be packed (the hub splits on newlines, so none
 * should): the door then sends the plain JSON event, as a text message.
 *
 * Binary, because the window keeps the frame as it came: the texts stay bytes outside the JS
 * heap, found by their offsets, and only the rows on screen are decoded. As a text message each
 * line became a string and an object the garbage collector walked, a million of them in a full
 * window, and its pauses were the frames the Logs window missed (README, Benchmarks).
 *
 * Unpacking checks what the contract's `events.logs` schema checks, by hand (at 50k lines a
 * second the schema's per-line work cost the window frames), and refuses anything else whole.
 * Bytes that are not UTF-8 are shown as U+FFFD, as a browser shows any malformed text.
 */
import { BUILD_LOG_ID, FixedLogSourceSchema, LogLevelSchema, type LogLevel, type LogLine, type LogSource } from './contract.js';

export const LOG_FRAME_MARK = 'L';

export type LogFrameRun = [firstSeq: number, time: number, source: LogSource, level: LogLevel, count: number];

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
  const runs: LogFrameRun[] = [];
  const texts: string[] = new Array<string>(lines.length);
  let run: LogFrameRun | null = null;
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

/** A frame as the window keeps it: its runs, and its texts as bytes with each line's start. */
export interface LogFrame {
  readonly runs: readonly LogFrameRun[];
  /** Every line's UTF-8 text, joined by newlines. */
  readonly texts: Uint8Array;
  /** Line i is `texts[starts[i] .. starts[i + 1] - 1)`; one entry more than there are lines. */
  readonly starts: Uint32Array;
  /** The number of lines: the runs' counts summed. */
  readonly length: number;
}

const newline = 0x0a;
const markByte = LOG_FRAME_MARK.charCodeAt(0);
const headerDecoder = new TextDecoder();

/** The frame in `bytes`, or null when it is not a well-formed one (nothing of it is used then). */
export function unpackLogFrame(bytes: Uint8Array): LogFrame | null {
  if (bytes.length === 0 || bytes[0] !== markByte) return null;
  const headerEnd = bytes.indexOf(newline);
  if (headerEnd < 0) return null;
  let header: unknown;
  try {
    header = JSON.parse(headerDecoder.decode(bytes.subarray(1, headerEnd)));
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
  if (total >= bytes.length) return null; // each line takes at least its newline (the last, the frame's end)
  const texts = bytes.subarray(headerEnd + 1);
  const starts = new Uint32Array(total + 1);
  let at = 0;
  for (let line = 1; line < total; line += 1) {
    const end = texts.indexOf(newline, at);
    if (end < 0) return null; // fewer texts than the runs count
    at = end + 1;
    starts[line] = at;
  }
  if (texts.indexOf(newline, at) >= 0) return null; // more texts than the runs count
  starts[total] = texts.length + 1;
  return { runs: runs as LogFrameRun[], texts, starts, length: total };
}

const textDecoder = new TextDecoder();

/** Line `index`'s text (0 ≤ index < frame.length), decoded now. */
export function logFrameText(frame: LogFrame, index: number): string {
  return textDecoder.decode(frame.texts.subarray(frame.starts[index]!, frame.starts[index + 1]! - 1));
}

/** Every line of a frame as objects: for tests and rare whole-frame work, not for a flood. */
export function logFrameLines(frame: LogFrame): LogLine[] {
  const lines: LogLine[] = [];
  for (const [firstSeq, time, source, level, count] of frame.runs) {
    for (let n = 0; n < count; n += 1) lines.push({ seq: firstSeq + n, time, source, level, text: logFrameText(frame, lines.length) });
  }
  return lines;
}

function isRun(value: unknown): value is LogFrameRun {
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

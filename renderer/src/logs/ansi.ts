/**
 * Splits one log line that carries ANSI escapes into plain-text segments, each with the SGR
 * style in force. Only SGR (`ESC[...m`) changes the style; every other escape (cursor moves,
 * erase-line, OSC titles and hyperlinks, DCS strings, charset selects) and every other control
 * character is dropped, so what reaches the page is printable text only. A truncated escape
 * (the line was cut mid-sequence by a ring buffer or a read boundary) is dropped, never shown.
 *
 * Pure and allocation-light: the Logs window parses only the rows Virtuoso renders.
 */

/** `index` is the xterm 256-colour palette (0–7 normal, 8–15 bright); `rgb` is 24-bit colour. */
export type AnsiColor =
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'rgb'; readonly r: number; readonly g: number; readonly b: number };

export interface AnsiStyle {
  readonly bold: boolean;
  readonly dim: boolean;
  readonly italic: boolean;
  readonly underline: boolean;
  readonly fg: AnsiColor | null;
  readonly bg: AnsiColor | null;
}

export interface AnsiSegment {
  readonly text: string;
  readonly style: AnsiStyle;
}

export const plainStyle: AnsiStyle = Object.freeze({
  bold: false,
  dim: false,
  italic: false,
  underline: false,
  fg: null,
  bg: null,
});

const ESC = 0x1b;
const BEL = 0x07;
const TAB = 0x09;
// 8-bit forms of CSI and OSC; other C1 controls are dropped like C0 ones.
const C1_CSI = 0x9b;
const C1_OSC = 0x9d;
const C1_ST = 0x9c;

// The fast path: most lines hold no escape and no control character at all (the class names
// control characters on purpose: they are what gets stripped).
const anythingToStrip = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

export function parseAnsi(line: string): AnsiSegment[] {
  if (!anythingToStrip.test(line)) return line === '' ? [] : [{ text: line, style: plainStyle }];

  const segments: AnsiSegment[] = [];
  let style = plainStyle;
  let text = '';
  const flush = () => {
    if (text === '') return;
    const last = segments[segments.length - 1];
    // Adjacent runs with equal styles (e.g. `ESC[0m` twice, or a dropped cursor move between
    // two runs) become one span.
    if (last && sameStyle(last.style, style)) {
      segments[segments.length - 1] = { text: last.text + text, style };
    } else {
      segments.push({ text, style });
    }
    text = '';
  };

  let i = 0;
  const n = line.length;
  while (i < n) {
    const code = line.charCodeAt(i);
    if (code === ESC || code === C1_CSI || code === C1_OSC) {
      let start: number;
      let kind: number;
      if (code === ESC) {
        if (i + 1 >= n) break; // a lone ESC at the end: truncated
        kind = line.charCodeAt(i + 1);
        start = i + 2;
      } else {
        kind = code === C1_CSI ? 0x5b : 0x5d;
        start = i + 1;
      }
      if (kind === 0x5b /* [ */) {
        const csi = readCsi(line, start);
        if (csi.final === 'm' && csi.sgrParams !== null) {
          const next = applySgr(style, csi.sgrParams);
          if (!sameStyle(next, style)) {
            flush();
            style = next;
          }
        }
        i = csi.end;
      } else if (kind === 0x5d /* ] */ || kind === 0x50 /* P */ || kind === 0x58 /* X */ || kind === 0x5e /* ^ */ || kind === 0x5f /* _ */) {
        i = skipControlString(line, start);
      } else if (kind >= 0x20 && kind <= 0x2f) {
        // nF escapes such as `ESC ( B`: intermediates, then one final byte.
        let j = start;
        while (j < n && line.charCodeAt(j) >= 0x20 && line.charCodeAt(j) <= 0x2f) j++;
        i = j < n && line.charCodeAt(j) >= 0x30 && line.charCodeAt(j) <= 0x7e ? j + 1 : j;
      } else if (kind >= 0x30 && kind <= 0x7e) {
        i = start; // two-character escapes: `ESC 7`, `ESC 8`, `ESC c`, `ESC =` …
      } else {
        i = i + 1; // ESC followed by a control character: drop the ESC, look at the rest again
      }
      continue;
    }
    if ((code < 0x20 && code !== TAB) || (code >= 0x7f && code <= 0x9f)) {
      i++; // \r, \b, BEL, DEL, stray C1: nothing printable
      continue;
    }
    // Copy the whole printable run at once rather than character by character.
    let j = i + 1;
    while (j < n) {
      const c = line.charCodeAt(j);
      if ((c < 0x20 && c !== TAB) || (c >= 0x7f && c <= 0x9f)) break;
      j++;
    }
    text += line.slice(i, j);
    i = j;
  }
  flush();
  return segments;
}

interface Csi {
  /** Index just past the sequence (or past what was consumed of a broken one). */
  readonly end: number;
  readonly final: string | null;
  /** The parameter string when it is a plain SGR list (digits, `;`, `:`); null otherwise. */
  readonly sgrParams: string | null;
}

function readCsi(line: string, start: number): Csi {
  const n = line.length;
  let j = start;
  while (j < n && line.charCodeAt(j) >= 0x30 && line.charCodeAt(j) <= 0x3f) j++;
  const params = line.slice(start, j);
  let intermediates = false;
  while (j < n && line.charCodeAt(j) >= 0x20 && line.charCodeAt(j) <= 0x2f) {
    intermediates = true;
    j++;
  }
  if (j >= n) return { end: n, final: null, sgrParams: null }; // truncated: drop the tail
  const finalCode = line.charCodeAt(j);
  if (finalCode < 0x40 || finalCode > 0x7e) {
    // Broken sequence (a control character or non-ASCII inside it): drop what was read and
    // resume at the odd character, which the main loop treats on its own.
    return { end: j, final: null, sgrParams: null };
  }
  const final = String.fromCharCode(finalCode);
  // Private forms such as `ESC[?25m` or `ESC[>4;1m` are not colours.
  const plain = !intermediates && /^[0-9;:]*$/.test(params);
  return { end: j + 1, final, sgrParams: plain ? params : null };
}

/** OSC, DCS, SOS, PM and APC run to BEL (OSC only) or ST (`ESC \` or 0x9c); truncated ones to the end. */
function skipControlString(line: string, start: number): number {
  const n = line.length;
  for (let j = start; j < n; j++) {
    const c = line.charCodeAt(j);
    if (c === BEL || c === C1_ST) return j + 1;
    if (c === ESC) return line.charCodeAt(j + 1) === 0x5c /* \ */ ? j + 2 : j;
  }
  return n;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function applySgr(current: AnsiStyle, params: string): AnsiStyle {
  const style: Mutable<AnsiStyle> = { ...current };
  // An empty list (`ESC[m`) and empty fields (`ESC[;1m`) both mean 0.
  const fields = params.split(';');
  for (let k = 0; k < fields.length; k++) {
    const field = fields[k] ?? '';
    const sub = field.split(':');
    const p = toInt(sub[0]);
    if (p === null) continue;
    if (p === 38 || p === 48) {
      let color: AnsiColor | null;
      if (sub.length > 1) {
        color = extendedColorFromColons(sub);
      } else {
        const read = extendedColorFromFields(fields, k + 1);
        color = read.color;
        k = read.last;
      }
      if (color) {
        if (p === 38) style.fg = color;
        else style.bg = color;
      }
      continue;
    }
    if (p === 0) Object.assign(style, plainStyle);
    else if (p === 1) style.bold = true;
    else if (p === 2) style.dim = true;
    else if (p === 3) style.italic = true;
    // `4:0` is the colon form of "no underline"; `4:1`…`4:5` are underline kinds.
    else if (p === 4) style.underline = sub.length < 2 || toInt(sub[1]) !== 0;
    else if (p === 22) style.bold = style.dim = false;
    else if (p === 23) style.italic = false;
    else if (p === 24) style.underline = false;
    else if (p >= 30 && p <= 37) style.fg = indexColor(p - 30);
    else if (p === 39) style.fg = null;
    else if (p >= 40 && p <= 47) style.bg = indexColor(p - 40);
    else if (p === 49) style.bg = null;
    else if (p >= 90 && p <= 97) style.fg = indexColor(p - 90 + 8);
    else if (p >= 100 && p <= 107) style.bg = indexColor(p - 100 + 8);
    // Anything else (blink, inverse, fonts…) is not rendered and changes nothing.
  }
  return style;
}

/** `38;5;n` and `38;2;r;g;b`: the colour's fields follow as separate parameters. */
function extendedColorFromFields(fields: readonly string[], from: number): { color: AnsiColor | null; last: number } {
  const mode = toInt(fields[from]);
  if (mode === 5) {
    return { color: paletteColor(toInt(fields[from + 1])), last: Math.min(from + 1, fields.length - 1) };
  }
  if (mode === 2) {
    const [r, g, b] = [from + 1, from + 2, from + 3].map((at) => toInt(fields[at]));
    return { color: rgbColor(r, g, b), last: Math.min(from + 3, fields.length - 1) };
  }
  // An unknown or missing mode: skip just the mode field, as xterm does.
  return { color: null, last: Math.min(from, fields.length - 1) };
}

/** `38:5:n`, `38:2:r:g:b` and the ITU form `38:2:colourspace:r:g:b`. */
function extendedColorFromColons(sub: readonly string[]): AnsiColor | null {
  const mode = toInt(sub[1]);
  if (mode === 5) return paletteColor(toInt(sub[2]));
  if (mode === 2) {
    const at = sub.length >= 6 ? 3 : 2;
    return rgbColor(toInt(sub[at]), toInt(sub[at + 1]), toInt(sub[at + 2]));
  }
  return null;
}

const indexColors: readonly AnsiColor[] = Array.from({ length: 256 }, (_, index) =>
  Object.freeze({ kind: 'index' as const, index }),
);

function indexColor(index: number): AnsiColor {
  return indexColors[index] as AnsiColor;
}

function paletteColor(index: number | null): AnsiColor | null {
  return index !== null && index <= 255 ? indexColor(index) : null;
}

function rgbColor(r: number | null | undefined, g: number | null | undefined, b: number | null | undefined): AnsiColor | null {
  if (r == null || g == null || b == null || r > 255 || g > 255 || b > 255) return null;
  return { kind: 'rgb', r, g, b };
}

/** An empty field means 0; a missing one (the list ended early) means nothing. */
function toInt(field: string | undefined): number | null {
  if (field === undefined) return null;
  if (field === '') return 0;
  // Digits only here (readCsi checked), but cap the length so a huge number stays a number.
  if (field.length > 6) return null;
  return Number.parseInt(field, 10);
}

export function sameColor(a: AnsiColor | null, b: AnsiColor | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (a.kind === 'index') return b.kind === 'index' && a.index === b.index;
  return b.kind === 'rgb' && a.r === b.r && a.g === b.g && a.b === b.b;
}

export function sameStyle(a: AnsiStyle, b: AnsiStyle): boolean {
  return (
    a === b ||
    (a.bold === b.bold &&
      a.dim === b.dim &&
      a.italic === b.italic &&
      a.underline === b.underline &&
      sameColor(a.fg, b.fg) &&
      sameColor(a.bg, b.bg))
  );
}

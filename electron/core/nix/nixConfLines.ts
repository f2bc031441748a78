/**
 * nix.conf as Nix 2.x reads it (2.8's `AbstractConfig::applyConfig`, 2.34's `parseConfigFiles`,
 * the same rules): a line loses everything from `#` on, is split into words on whitespace, and
 * is either empty, `include PATH`, `!include PATH`, or `KEY = WORDS...` with `=` a word of its
 * own (`builders=x` is refused by both). A setting's value is its words re-joined with single
 * spaces. Anything else makes Nix refuse the whole file, so a file with such a line is reported
 * (with its line number) and never edited: writing our block into it would leave Nix as broken
 * as before and make it look like our doing.
 */

export type NixConfLine =
  | { kind: 'blank'; lineNumber: number; text: string }
  | { kind: 'setting'; lineNumber: number; text: string; key: string; value: string }
  | { kind: 'include'; lineNumber: number; text: string; path: string; optional: boolean }
  | { kind: 'malformed'; lineNumber: number; text: string };

export interface MalformedLine {
  lineNumber: number;
  text: string;
}

export function parseNixConf(text: string): NixConfLine[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((raw, index) => parseLine(raw, index + 1));
}

function parseLine(raw: string, lineNumber: number): NixConfLine {
  const hash = raw.indexOf('#');
  // Nix's tokenizeString splits on " \t\n\r" only.
  const words = (hash >= 0 ? raw.slice(0, hash) : raw).split(/[ \t\r]+/).filter((word) => word !== '');
  if (words.length === 0) return { kind: 'blank', lineNumber, text: raw };
  if (words.length < 2) return { kind: 'malformed', lineNumber, text: raw };
  const first = words[0]!;
  if (first === 'include' || first === '!include') {
    if (words.length !== 2) return { kind: 'malformed', lineNumber, text: raw };
    return { kind: 'include', lineNumber, text: raw, path: words[1]!, optional: first === '!include' };
  }
  if (words[1] !== '=') return { kind: 'malformed', lineNumber, text: raw };
  return { kind: 'setting', lineNumber, text: raw, key: first, value: words.slice(2).join(' ') };
}

export function malformedLines(text: string): MalformedLine[] {
  return parseNixConf(text)
    .filter((line) => line.kind === 'malformed')
    .map((line) => ({ lineNumber: line.lineNumber, text: line.text }));
}

/**
 * The value of the last `key = ...` line of this one file (Nix lets a later line win), or null
 * when unset. It does not follow includes: effectiveBuilders.ts does, for `builders`.
 */
export function lastSetting(text: string, key: string): string | null {
  let value: string | null = null;
  for (const line of parseNixConf(text)) {
    if (line.kind === 'setting' && line.key === key) value = line.value;
  }
  return value;
}

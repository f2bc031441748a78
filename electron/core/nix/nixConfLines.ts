/**
 * nix.conf as Nix 2.x reads it: `key = value`, `include PATH`, `!include PATH`, comments from
 * `#` to the end of the line, blank lines. Anything else makes Nix refuse the whole file, so a
 * file with such a line is reported (with its line number) and never edited: writing our block
 * into it would leave Nix as broken as before and make it look like our doing.
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
  const content = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
  if (content === '') return { kind: 'blank', lineNumber, text: raw };
  const words = content.split(/\s+/);
  const first = words[0] ?? '';
  if ((first === 'include' || first === '!include') && words.length === 2 && words[1] !== undefined) {
    return { kind: 'include', lineNumber, text: raw, path: words[1], optional: first === '!include' };
  }
  const equals = content.indexOf('=');
  if (equals <= 0) return { kind: 'malformed', lineNumber, text: raw };
  const key = content.slice(0, equals).trim();
  if (key === '' || /\s/.test(key)) return { kind: 'malformed', lineNumber, text: raw };
  return { kind: 'setting', lineNumber, text: raw, key, value: content.slice(equals + 1).trim() };
}

export function malformedLines(text: string): MalformedLine[] {
  return parseNixConf(text)
    .filter((line) => line.kind === 'malformed')
    .map((line) => ({ lineNumber: line.lineNumber, text: line.text }));
}

/** The value of the last `key = ...` line (Nix lets a later line win), or null when unset. */
export function lastSetting(text: string, key: string): string | null {
  let value: string | null = null;
  for (const line of parseNixConf(text)) {
    if (line.kind === 'setting' && line.key === key) value = line.value;
  }
  return value;
}

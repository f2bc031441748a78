/**
 * The one part of a file the app edits when it does not own the file: lines between
 * `# BEGIN builder-bar` and `# END builder-bar`. Everything outside the block is kept byte for
 * byte; the block is appended at the end (later settings win in nix.conf, and a `Host` block at
 * the end of an ssh config cannot swallow the user's own lines).
 *
 * Markers are matched the way a user's editor may leave them: a file saved with CRLF line
 * endings (or trailing blanks) still has our END marker, or remove would leave the block in
 * place and plan would add a second one. A marker without its partner (a user deleted the END
 * line, or the BEGIN line) leaves no way to tell where our lines stop: such a file is reported
 * (`unpaired`) and never edited, since guessing would delete the user's lines or leave ours.
 */
// No ';' in the markers: Nix splits machines files on ';' before it strips comments, so a ';'
// in a comment would make the rest of it a (broken) machines entry.
export const BLOCK_BEGIN = '# BEGIN builder-bar (managed by Builder Bar, edits inside are replaced)';
export const BLOCK_END = '# END builder-bar';
const BEGIN_PREFIX = '# BEGIN builder-bar';

export interface UnpairedMarker {
  /** 1-based line of the marker without a partner. */
  lineNumber: number;
  marker: 'begin' | 'end';
}

export interface BlockSplit {
  /** The file without our block(s), exactly as the user wrote it. */
  outside: string;
  /** The blocks' lines without the markers, or null when the file has no whole block. */
  inside: string[] | null;
  /** A marker without its partner: the file cannot be split, `outside` is the whole text. */
  unpaired: UnpairedMarker | null;
}

/** A line that opens our block (any version of the BEGIN marker's words). */
export const isBlockBegin = (line: string): boolean => line.startsWith(BEGIN_PREFIX);
/** A line that closes our block, CRLF or trailing blanks allowed. */
export const isBlockEnd = (line: string): boolean => line.replace(/[ \t\r]+$/, '') === BLOCK_END;

export function splitMarkedBlock(text: string): BlockSplit {
  const lines = text.split('\n');
  const blocks: Array<[number, number]> = [];
  let open = -1;
  let unpaired: UnpairedMarker | null = null;
  for (const [index, line] of lines.entries()) {
    if (isBlockBegin(line)) {
      if (open >= 0) unpaired ??= { lineNumber: open + 1, marker: 'begin' };
      open = index;
    } else if (isBlockEnd(line)) {
      if (open < 0) unpaired ??= { lineNumber: index + 1, marker: 'end' };
      else blocks.push([open, index]);
      open = -1;
    }
  }
  if (open >= 0) unpaired ??= { lineNumber: open + 1, marker: 'begin' };
  if (unpaired) return { outside: text, inside: null, unpaired };
  if (blocks.length === 0) return { outside: text, inside: null, unpaired: null };
  // Every whole block is ours (its first line says so): two of them (an older copy) go together.
  const inBlock = (index: number) => blocks.some(([begin, end]) => index >= begin && index <= end);
  const outside = lines.filter((_, index) => !inBlock(index)).join('\n');
  const inside = blocks.flatMap(([begin, end]) => lines.slice(begin + 1, end));
  return { outside, inside, unpaired: null };
}

/** The file with our block (re)placed at its end; `blockLines` empty removes the block. */
export function withMarkedBlock(text: string, blockLines: readonly string[]): string {
  const { outside, unpaired } = splitMarkedBlock(text);
  // Callers check first (plan reports it as a problem): this guards against writing a guess.
  if (unpaired) throw new Error(`A Builder Bar marker on line ${unpaired.lineNumber} has no partner; the file cannot be edited.`);
  if (blockLines.length === 0) return outside;
  const base = outside === '' || outside.endsWith('\n') ? outside : `${outside}\n`;
  return `${base}${BLOCK_BEGIN}\n${blockLines.join('\n')}\n${BLOCK_END}\n`;
}

/** Why a file with an unpaired marker is left alone; the caller says what to do next. */
export function unpairedMarkerMessage(file: string, unpaired: UnpairedMarker): string {
  const what = unpaired.marker === 'begin'
    ? `opens Builder Bar's block ("${BEGIN_PREFIX} ..."), but no "${BLOCK_END}" line closes it`
    : `closes Builder Bar's block ("${BLOCK_END}"), but no "${BEGIN_PREFIX} ..." line opens it`;
  return `${file} line ${unpaired.lineNumber} ${what}, so Builder Bar cannot tell which lines are its own and changes no byte of this file`;
}

/**
 * The one part of a file the app edits when it does not own the file: lines between
 * `# BEGIN builder-bar` and `# END builder-bar`. Everything outside the block is kept byte for
 * byte; the block is appended at the end (later settings win in nix.conf, and a `Host` block at
 * the end of an ssh config cannot swallow the user's own lines).
 */
// No ';' in the markers: Nix splits machines files on ';' before it strips comments, so a ';'
// in a comment would make the rest of it a (broken) machines entry.
export const BLOCK_BEGIN = '# BEGIN builder-bar (managed by Builder Bar, edits inside are replaced)';
export const BLOCK_END = '# END builder-bar';
const BEGIN_PREFIX = '# BEGIN builder-bar';

export interface BlockSplit {
  /** The file without our block, exactly as the user wrote it. */
  outside: string;
  /** The block's lines without the markers, or null when the file has no block. */
  inside: string[] | null;
}

export function splitMarkedBlock(text: string): BlockSplit {
  const lines = text.split('\n');
  const begin = lines.findIndex((line) => line.startsWith(BEGIN_PREFIX));
  if (begin < 0) return { outside: text, inside: null };
  const endOffset = lines.slice(begin + 1).findIndex((line) => line === BLOCK_END);
  if (endOffset < 0) return { outside: text, inside: null };
  const end = begin + 1 + endOffset;
  const outsideLines = [...lines.slice(0, begin), ...lines.slice(end + 1)];
  return { outside: outsideLines.join('\n'), inside: lines.slice(begin + 1, end) };
}

/** The file with our block (re)placed at its end; `blockLines` empty removes the block. */
export function withMarkedBlock(text: string, blockLines: readonly string[]): string {
  const { outside } = splitMarkedBlock(text);
  if (blockLines.length === 0) return outside;
  const base = outside === '' || outside.endsWith('\n') ? outside : `${outside}\n`;
  return `${base}${BLOCK_BEGIN}\n${blockLines.join('\n')}\n${BLOCK_END}\n`;
}

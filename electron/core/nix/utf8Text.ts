/**
 * Files Builder Bar edits or reads as text must be UTF-8. Decoding other bytes as UTF-8 turns
 * each bad one into U+FFFD, so rewriting the file would change the user's own lines outside the
 * marked block (a Latin-1 comment in nix.conf), and a restated `builders` value would name
 * something else. Such a file is refused, naming the file and line, before anything is written.
 */

export interface NotUtf8 {
  /** 1-based line of the first byte that is not UTF-8. */
  lineNumber: number;
  /** That byte. */
  byte: number;
}

/**
 * Where `bytes` stop being UTF-8, or null when they are. The files are edited as text: a
 * lossy decode would write U+FFFD over the user's own bytes, outside the block.
 */
export function notUtf8(bytes: Uint8Array): NotUtf8 | null {
  if (validUtf8(bytes)) return null;
  // The longest prefix that decodes ends just before the first bad byte.
  let low = 0;
  let high = bytes.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (validUtf8Prefix(bytes.subarray(0, middle))) low = middle;
    else high = middle - 1;
  }
  // That prefix may end in a lead byte (Latin-1 "é" is 0xE9, a valid lead of three bytes) that
  // only the byte after it proves wrong: the lead is the bad byte, not the "\n" after it.
  let at = Math.min(low, bytes.length - 1);
  while (at > 0 && !validUtf8(bytes.subarray(0, at))) at -= 1;
  let lineNumber = 1;
  for (let index = 0; index < at; index += 1) if (bytes[index] === 0x0a) lineNumber += 1;
  return { lineNumber, byte: bytes[at]! };
}

/** True when `bytes` decode as UTF-8, whole. */
function validUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** True when `bytes` decode as UTF-8, a sequence cut at the end allowed. */
function validUtf8Prefix(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * The problem for a file that is not UTF-8: which file and line, why, and what to do. `edited`:
 * a file the wiring edits; otherwise one it reads (an included nix.conf, whose `builders` the
 * block restates).
 */
/** Where a file stops being UTF-8, in words: "<file> line 3 is not valid UTF-8 (byte 0xFC)". */
export function notUtf8Where(file: string, where: NotUtf8): string {
  return `${file} line ${where.lineNumber} is not valid UTF-8 (byte 0x${where.byte.toString(16).toUpperCase().padStart(2, '0')})`;
}

export function notUtf8Message(file: string, where: NotUtf8, edited: boolean): string {
  const why = edited
    ? 'Builder Bar edits this file as UTF-8 text and never changes a byte outside its block, so it leaves the file untouched and plans nothing for it.'
    : 'Builder Bar reads it as UTF-8 text to restate your builders, and could not restate them unchanged, so it plans nothing for nix.conf.';
  return `${notUtf8Where(file, where)}. ${why} Convert the file to UTF-8 (for example iconv -f LATIN1 -t UTF-8 ${file} > ${file}.utf8, check the result, then move it over ${file}), or remove that byte; then plan again.`;
}

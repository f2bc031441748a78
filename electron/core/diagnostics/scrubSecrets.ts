/**
 * Takes secrets out of text before it goes into a diagnostics bundle, which users attach to
 * public issues: every line of a PEM/OpenSSH private key block (a key pasted into a log or a
 * console, or a file we did not expect), and the value of the headless door's `token=`, which
 * `serve` prints and which would let anyone holding the URL drive the core.
 */

export const REMOVED = '<removed>';

/** A block starts at `-----BEGIN … PRIVATE KEY-----` anywhere in a line (log lines carry a prefix). */
const BLOCK_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const BLOCK_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/;
/** `token=VALUE` in a URL fragment, a query or a key=value line; the value ends at a separator. */
const TOKEN_VALUE = /(token=)[^\s&#"'<>]+/gi;

export interface ScrubResult {
  text: string;
  /** Lines dropped because they belonged to a private key block. */
  keyLinesRemoved: number;
  tokensRemoved: number;
}

export function scrubSecrets(input: string): ScrubResult {
  const kept: string[] = [];
  let insideKey = false;
  let keyLinesRemoved = 0;
  for (const line of input.split('\n')) {
    if (!insideKey && BLOCK_BEGIN.test(line)) insideKey = !BLOCK_END.test(line.slice(line.search(BLOCK_BEGIN) + 1));
    else if (insideKey && BLOCK_END.test(line)) insideKey = false;
    else if (!insideKey && !/PRIVATE KEY/.test(line)) {
      kept.push(line);
      continue;
    }
    // An unterminated block drops everything after it: better a short log than a leaked key.
    keyLinesRemoved += 1;
  }
  let tokensRemoved = 0;
  const text = kept.join('\n').replace(TOKEN_VALUE, (_match, prefix: string) => {
    tokensRemoved += 1;
    return `${prefix}${REMOVED}`;
  });
  return { text, keyLinesRemoved, tokensRemoved };
}

/**
 * A tracked repository's branch pattern, as `git for-each-ref refs/heads/<pattern>` reads it: a
 * glob (`*`, `?`, `[...]`, `**`, backslash escapes) or a prefix ending at a `/`. git takes any
 * text there and matches nothing when the pattern cannot match (an unclosed `[`, a character
 * no branch name may hold, a regular expression, a list): the repository then silently showed
 * no branches. A pattern is checked when it is set, saying why it can never match; and one
 * starting with "-" is refused, so it can never read as an option.
 */

export const BRANCH_PATTERN_HINT = 'A pattern is a git glob under refs/heads/, e.g. "release/*", "feature/**" or "main" (a name matches itself and the branches under it); leave it out for every local branch.';

/** Characters git never allows in a branch name (git check-ref-format), so a pattern holding one matches nothing. */
const NEVER_IN_A_NAME: readonly [RegExp, string][] = [
  [/[\u0000-\u001f\u007f]/, 'a control character'],
  [/ /, 'a space'],
  [/~/, '"~"'],
  // Except as a class's negation, "[^…]", which wildmatch reads as "[!…]".
  [/(?<!\[)\^/, '"^"'],
  [/:/, '":"'],
  [/\.\./, '".."'],
  [/@\{/, '"@{"'],
];

/** Why `pattern` is refused, in words that follow the pattern itself; null when it is fine. */
export function branchPatternProblem(pattern: string): string | null {
  if (pattern === '') return 'is empty';
  if (pattern.startsWith('-')) return 'starts with "-", which git could read as an option (use "?" for a first "-": "?x" matches "-x")';
  if (pattern.startsWith('refs/heads/')) return `is matched under refs/heads/ already: give it without refs/heads/: "${pattern.slice('refs/heads/'.length)}"`;
  if (pattern.startsWith('refs/')) return 'names other refs than branches: only local branches (refs/heads/) are tracked';
  for (const [found, what] of NEVER_IN_A_NAME) {
    if (found.test(pattern)) return `holds ${what}, which no branch name can (patterns are git globs, not regular expressions or lists), so it would match nothing`;
  }
  if (pattern.split('/').some((part) => part.startsWith('.'))) return 'has a part that starts with ".", which no branch name can (".*" is a regular expression; a glob says "*")';
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i];
    if (char === '\\') {
      if (i === pattern.length - 1) return 'ends with a lone "\\", which escapes nothing';
      i += 1;
    } else if (char === '[') {
      // As wildmatch reads a class: "!" or "^" may negate it, and a "]" first is a literal.
      let j = i + 1;
      if (pattern[j] === '!') j += 1;
      if (pattern[j] === ']') j += 1;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      if (j >= pattern.length) return 'has a "[" without its closing "]" (write "\\[" for the character itself)';
      i = j;
    }
  }
  return null;
}

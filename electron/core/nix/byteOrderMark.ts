/**
 * A UTF-8 byte order mark (EF BB BF, U+FEFF) at the start of a nix.conf, as some editors on
 * macOS and Windows save it. Nix does not strip it: it splits line 1 on whitespace only, so the
 * mark sticks to the first word. Measured with Nix 2.8 and 2.34.8 (NIX_CONF_DIR, `nix
 * show-config` / `nix config show`):
 *
 * - `<BOM>builders = ...`: both warn "unknown setting '<BOM>builders'" and ignore the line:
 *   `builders` keeps its default. effectiveBuilders() reads it the same way (the key is not
 *   `builders`), so nothing of it is restated; the user is told why their line has no effect.
 * - `<BOM># comment`, `<BOM>` alone on a blank line, `<BOM>include x`, `<BOM> key = v`: both
 *   refuse the file ("illegal configuration line" on 2.8, "syntax error in configuration line"
 *   on 2.34), as the malformed line it is to us too; the problem then says the invisible mark is
 *   the cause, since the line quoted looks fine on screen.
 */
export const BYTE_ORDER_MARK = '\uFEFF';

export function startsWithBom(text: string): boolean {
  return text.startsWith(BYTE_ORDER_MARK);
}

/** How to remove it, for a file Builder Bar does not own. */
function howToRemove(file: string): string {
  return `Save ${file} as UTF-8 without a BOM (your editor's encoding menu: "UTF-8", not "UTF-8 with BOM"), or run (with sudo if root owns it): perl -pi -e 's/^\\xEF\\xBB\\xBF// if $. == 1' ${file}`;
}

/** The note for line 1 being a setting Nix ignores because of the mark. */
export function bomSettingNote(file: string, key: string, value: string): string {
  const name = key.slice(BYTE_ORDER_MARK.length);
  return `Note: ${file} starts with a UTF-8 byte order mark (BOM, bytes EF BB BF), so Nix ignores its line 1 ("unknown setting '${name}'"): "${name} = ${value.length > 80 ? `${value.slice(0, 80)}…` : value}" is not in force, and Builder Bar does not restate it either. ${howToRemove(file)}; then plan again.`;
}

/** What to add to a malformed line 1 that starts with the mark: the cause Nix's words hide. */
export function bomMalformedHint(file: string): string {
  return `The line starts with an invisible UTF-8 byte order mark (BOM, bytes EF BB BF), which Nix reads as part of the line. ${howToRemove(file)}.`;
}

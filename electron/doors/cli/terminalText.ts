/**
 * Text from elsewhere (commit subjects, branch names, a build's output, the guest's console) on
 * its way to the user's terminal. A terminal acts on what it is sent: OSC sequences set its title,
 * write the clipboard (OSC 52) or make links; cursor movement and a bare carriage return draw
 * over lines already printed, so a build could hide what it did; some queries make the terminal
 * type an answer back. None of it may come from someone else's text.
 */

/** Every control character (C0, DEL, C1, ESC included) as a visible `\xNN`. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, escapeControl);
}

/**
 * Log text as `builder-bar logs` prints it: colours and bold (SGR, `ESC [ … m`, what Nix, GHC and
 * compilers print) kept, as the Logs window shows them; every other control character shown as
 * `\xNN`. A tab stays a tab.
 */
export function keepingColors(text: string): string {
  return text.replace(/\u001b\[[0-9;:]*m|[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (match) => (match.length > 1 ? match : escapeControl(match)));
}

function escapeControl(char: string): string {
  return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

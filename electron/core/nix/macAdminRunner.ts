/**
 * Running the admin script as root on macOS: the system's own password prompt, via osascript's
 * `do shell script "…" with administrator privileges`. The script's text is handed over inline,
 * as an AppleScript string literal, never as a path: a file in the user's state dir could be
 * swapped by anything running as the user while the prompt is open, and root would run the
 * swapped one. `do shell script` gives the text to /bin/sh -c.
 */
import { execa } from 'execa';

export interface AdminOutcome {
  /** The script's exit status; -128 when the user cancelled the prompt; null when unknown. */
  exitCode: number | null;
  output: string;
}

/** Runs a script's text with administrator rights. */
export interface PrivilegedRunner {
  run(script: string): Promise<AdminOutcome>;
}

/**
 * An AppleScript string literal holding `text` exactly: backslash and double quote escaped,
 * line breaks and tabs written as AppleScript's `\n`, `\r`, `\t`, so the whole script is one
 * argument on one line.
 */
export function appleScriptString(text: string): string {
  const escaped = text.replace(/[\\"\n\r\t]/g, (char) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[char] ?? char);
  return `"${escaped}"`;
}

/** The osascript argument array that runs `script` as root after the password prompt. */
export function macAdminArguments(script: string): string[] {
  return ['-e', `do shell script ${appleScriptString(script)} with administrator privileges`];
}

/**
 * osascript exits 1 whatever the script did and reports it as
 * `execution error: <the script's stderr> (<status>)`; the status is read back from there.
 */
export function adminOutcome(exitCode: number | undefined, stdout: string, stderr: string): AdminOutcome {
  const output = [stdout, stderr].filter((part) => part.trim() !== '').join('\n');
  if (exitCode === 0) return { exitCode: 0, output };
  const reported = /\((-?\d+)\)\s*$/.exec(stderr.trim());
  return { exitCode: reported ? Number(reported[1]) : typeof exitCode === 'number' ? exitCode : null, output };
}

export const macAdminRunner: PrivilegedRunner = {
  async run(script) {
    const result = await execa('/usr/bin/osascript', macAdminArguments(script), { reject: false });
    return adminOutcome(typeof result.exitCode === 'number' ? result.exitCode : undefined, String(result.stdout ?? ''), String(result.stderr ?? ''));
  },
};

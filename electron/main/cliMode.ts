/**
 * The app's own binary as the `builder-bar` command: a packaged app turns Electron's
 * `runAsNode` off (rightly), so a Mac user without Node has no `node bin.js`; instead the app's
 * executable (or a `builder-bar` symlink to it) answers CLI arguments as a client of the core's
 * socket, with no window and no tray, and exits with the CLI's own exit code.
 *
 * Which launches are CLI calls is decided here, purely, from argv: one whose first argument is
 * a word (a command, or a mistyped one, which gets the CLI's usage error and exit code 2 as
 * today) or a global option (`--help`, `--version`, `--state-dir`). Anything else starts the
 * app as before: Finder passes nothing (or an old `-psn_…` process serial number), and Chromium
 * or a test harness passes `--switches`; a file opened with the app arrives as an event.
 */
const GLOBAL_OPTIONS = new Set(['--help', '-h', '--version', '-V', '--state-dir']);

/** The CLI arguments of this launch, or null when it starts the app. */
export function cliArguments(argv: readonly string[], options: { defaultApp: boolean }): string[] | null {
  // `electron .` (development) is [electron, appPath, ...]; a packaged app is [executable, ...].
  const args = argv.slice(options.defaultApp ? 2 : 1);
  const first = args[0];
  if (first === undefined) return null;
  const word = first.startsWith('--state-dir=') ? '--state-dir' : first;
  return !word.startsWith('-') || GLOBAL_OPTIONS.has(word) ? [...args] : null;
}

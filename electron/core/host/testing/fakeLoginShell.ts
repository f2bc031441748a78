/**
 * Stand-ins for a user's login shell, for tests: real shell scripts that take `-ilc SCRIPT` as
 * bash and zsh do, with what a profile may do around it (print banners on stdout and stderr,
 * hang, print nothing), so the search path's handling of each runs for real.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * A login shell whose profile sets PATH to `pathDirs` and prints noise before and after the
 * command, and on stderr: what a `.zprofile` with a banner and `brew shellenv` looks like.
 */
export async function writeNoisyLoginShell(file: string, pathDirs: readonly string[]): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const script = [
    '#!/bin/sh',
    '[ "$1" = "-ilc" ] || { echo "expected -ilc, got $1" >&2; exit 64; }',
    'echo "Last login: Thu Dec  3 05:00:00 on ttys000"',
    'echo "PATH=/looks/like/a/path/but/is/noise"',
    'echo "zsh compinit: insecure directories" >&2',
    `PATH=${quote(pathDirs.join(':'))}; export PATH`,
    '/bin/sh -c "$2"',
    'echo "goodbye from .zlogout"',
    '',
  ].join('\n');
  await fs.writeFile(file, script, { mode: 0o755 });
  return file;
}

/** A login shell whose profile never finishes (a prompt waiting for input, a stuck network mount). */
export async function writeHangingLoginShell(file: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  // The child keeps stdout open too, as a profile's background job would.
  await fs.writeFile(file, '#!/bin/sh\necho "Welcome"\n/bin/sleep 600 &\n/bin/sleep 600\n', { mode: 0o755 });
  return file;
}

/**
 * A login shell whose profile starts a background job that inherits stdout and outlives the
 * shell (`some-agent &` in .zshrc), as a terminal's profile may: the shell answers at once and
 * exits, but its output pipe stays open for as long as the job runs. The job's pid is written to
 * `pidFile`, so a test can see it and end it.
 */
export async function writeLoginShellWithBackgroundJob(file: string, pathDirs: readonly string[], pidFile: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const script = [
    '#!/bin/sh',
    `PATH=${quote(pathDirs.join(':'))}; export PATH`,
    `/bin/sleep 120 & echo $! > ${quote(pidFile)}`,
    '/bin/sh -c "$2"',
    '',
  ].join('\n');
  await fs.writeFile(file, script, { mode: 0o755 });
  return file;
}

/** A login shell whose profile puts `$HOME/bin` first on PATH, as most profiles do. */
export async function writeHomeBinLoginShell(file: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, '#!/bin/sh\nPATH="$HOME/bin:/usr/bin:/bin"; export PATH\n/bin/sh -c "$2"\n', { mode: 0o755 });
  return file;
}

/**
 * A login shell whose profile exports a variable whose value holds a newline and a `PATH=` line
 * (a banner kept in a variable, or a hostile one) before setting PATH to `pathDirs`. The command
 * runs in an environment of exactly these two variables, so the order `env` prints them in is
 * always the same: /bin/sh here prints MOTD's lines, the false PATH among them, first.
 */
export async function writeMultilineVariableLoginShell(file: string, pathDirs: readonly string[], falsePath: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const script = [
    '#!/bin/sh',
    `MOTD=$(printf 'Welcome\\nPATH=%s' ${quote(falsePath)})`,
    `exec /usr/bin/env -i "MOTD=$MOTD" ${quote(`PATH=${pathDirs.join(':')}`)} /bin/sh -c "$2"`,
    '',
  ].join('\n');
  await fs.writeFile(file, script, { mode: 0o755 });
  return file;
}

/** A login shell whose profile puts `./bin` of wherever it starts first on PATH (as a direnv hook's `.envrc` may). */
export async function writeWorkingDirectoryLoginShell(file: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, '#!/bin/sh\nPATH="$(pwd)/bin:/usr/bin:/bin"; export PATH\n/bin/sh -c "$2"\n', { mode: 0o755 });
  return file;
}

/** A login shell that fails before running the command (a syntax error in .zshrc that exits). */
export async function writeFailingLoginShell(file: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, '#!/bin/sh\necho ".zshrc:12: parse error near fi" >&2\nexit 1\n', { mode: 0o755 });
  return file;
}

/** A stand-in program that answers `--version` with `line` (QEMU, qemu-img, git). */
export async function writeVersionStub(file: string, line: string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `#!/bin/sh\necho ${quote(line)}\n`, { mode: 0o755 });
  return file;
}

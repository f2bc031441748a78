/**
 * How apply and remove change the files of a wiring target. A conf dir the user owns is written
 * directly (atomic, explicit modes). The system target (/etc/nix, /etc/ssh) needs root: there
 * every change is collected, then carried out by ONE admin step the user can read first — a
 * POSIX sh script in the state dir that checks each file still holds the bytes Builder Bar read,
 * installs staged copies with their modes, and restarts nix-daemon only when nix.conf changed —
 * run through a `PrivilegedRunner` (osascript "with administrator privileges" on macOS).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { BuilderBarError } from '../errors.js';
import { ensurePrivateDir, writeFileAtomic } from '../util/atomicWrite.js';

export interface WiringFileWriter {
  /** Replaces `file` with `content` and sets `mode`; `expectSha256` is what the caller read (null: absent). */
  write(file: string, content: string | Uint8Array, mode: number, expectSha256: string | null): Promise<void>;
  remove(file: string, expectSha256: string | null): Promise<void>;
  /** Carries out what was collected (the admin step); a no-op for the direct writer. */
  commit(): Promise<void>;
}

/** Writes a directory the caller owns, at once. */
export const directFileWriter: WiringFileWriter = {
  async write(file, content, mode) {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await writeFileAtomic(file, content, { mode });
  },
  async remove(file) {
    await fs.rm(file, { force: true });
  },
  async commit() {},
};

/** Runs the admin script with administrator rights; resolves with its outcome. */
export interface PrivilegedRunner {
  run(scriptPath: string): Promise<{ exitCode: number | null; output: string }>;
}

/** macOS: the system's own password prompt, via osascript; the script path is passed quoted. */
export const macAdminRunner: PrivilegedRunner = {
  async run(scriptPath) {
    const result = await execa('osascript', macAdminArguments(scriptPath), { reject: false, all: true });
    return { exitCode: typeof result.exitCode === 'number' ? result.exitCode : null, output: result.all ?? '' };
  },
};

/** The osascript argument array: AppleScript's `quoted form of` keeps spaces and quotes in the path inert. */
export function macAdminArguments(scriptPath: string): string[] {
  const appleScriptString = `"${scriptPath.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return ['-e', `do shell script "/bin/sh " & quoted form of ${appleScriptString} with administrator privileges`];
}

type Operation =
  | { kind: 'write'; file: string; staged: string; mode: number; expectSha256: string | null }
  | { kind: 'remove'; file: string; expectSha256: string | null };

export interface AdminWriterOptions {
  /** Where staged copies and the script go (inside the state dir; 0700). */
  stagingDir: string;
  runner: PrivilegedRunner;
  /** The nix.conf of the target: the daemon is restarted only when it changes. */
  nixConf: string;
  /** The command that restarts the daemon (argument array). */
  restartDaemon: readonly string[];
}

export class AdminFileWriter implements WiringFileWriter {
  private readonly operations: Operation[] = [];

  constructor(private readonly options: AdminWriterOptions) {}

  async write(file: string, content: string | Uint8Array, mode: number, expectSha256: string | null): Promise<void> {
    await ensurePrivateDir(this.options.stagingDir);
    const staged = path.join(this.options.stagingDir, `${this.operations.length}-${path.basename(file)}`);
    await writeFileAtomic(staged, content, { mode: 0o600 });
    this.operations.push({ kind: 'write', file, staged, mode, expectSha256 });
  }

  async remove(file: string, expectSha256: string | null): Promise<void> {
    this.operations.push({ kind: 'remove', file, expectSha256 });
  }

  /** The script's text, for the user to read before they approve it. */
  script(): string {
    return adminScript(this.operations, this.options);
  }

  async commit(): Promise<void> {
    if (this.operations.length === 0) return;
    const scriptPath = path.join(this.options.stagingDir, 'apply-as-admin.sh');
    await ensurePrivateDir(this.options.stagingDir);
    await writeFileAtomic(scriptPath, this.script(), { mode: 0o700 });
    const outcome = await this.options.runner.run(scriptPath);
    if (outcome.exitCode !== 0) {
      throw new BuilderBarError(
        outcome.exitCode === 3 ? 'wiring-refused' : 'not-supported',
        `The admin step did not complete (exit ${outcome.exitCode ?? 'unknown'}): ${outcome.output.trim().split('\n').slice(-3).join(' ')}`,
        outcome.exitCode === 3 ? 'A file changed since Builder Bar read it; nothing was written. Plan again.' : `The script is ${scriptPath}; you can read it and run it with sudo yourself.`,
      );
    }
    await fs.rm(this.options.stagingDir, { recursive: true, force: true });
  }
}

/** Single quotes for sh: everything inside is literal. */
function q(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function adminScript(operations: readonly Operation[], options: Pick<AdminWriterOptions, 'nixConf' | 'restartDaemon'>): string {
  const restart = operations.some((op) => op.file === options.nixConf);
  const token = randomBytes(4).toString('hex');
  const lines = [
    '#!/bin/sh',
    '# Builder Bar: wire Nix to the Linux builder. Runs as root, once, after you approve it.',
    '# 1. Every file must still hold exactly what Builder Bar read, or nothing is changed (exit 3).',
    '# 2. Each file is installed from the staged copy beside this script, with its mode.',
    `# 3. nix-daemon is restarted ${restart ? 'because nix.conf changes' : 'not at all: nix.conf does not change'}.`,
    'set -eu',
    'digest() { if command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1"; else sha256sum "$1"; fi | cut -d" " -f1; }',
    'expect() { # FILE SHA256|absent',
    '  if [ "$2" = absent ]; then [ ! -e "$1" ] && return 0; else [ -f "$1" ] && [ "$(digest "$1")" = "$2" ] && return 0; fi',
    '  echo "builder-bar: $1 changed since Builder Bar read it; nothing was written." >&2; exit 3',
    '}',
    'put() { # STAGED FILE MODE',
    `  mkdir -p "$(dirname "$2")"; cp "$1" "$2.builder-bar-${token}"; chmod "$3" "$2.builder-bar-${token}"; mv -f "$2.builder-bar-${token}" "$2"`,
    '}',
    '',
    ...operations.map((op) => `expect ${q(op.file)} ${op.expectSha256 ?? 'absent'}`),
    '',
    ...operations.map((op) =>
      op.kind === 'write' ? `put ${q(op.staged)} ${q(op.file)} ${op.mode.toString(8).padStart(3, '0')}` : `rm -f ${q(op.file)}`,
    ),
  ];
  if (restart) lines.push('', options.restartDaemon.map(q).join(' '));
  lines.push('echo "builder-bar: done"', '');
  return lines.join('\n');
}

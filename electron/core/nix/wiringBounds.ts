/**
 * What the wiring may touch, whatever the record says. `nix-wiring.json` lives in the user's
 * state dir, so anything running as the user can rewrite it, and on the system target its paths
 * and modes reach a script that runs as root. Nothing in it is taken as it stands: a record (and
 * every operation built from it) may name only the files of its own target's layout (five, and
 * for the system target the log relay's LaunchDaemon, launchdLogSocket.ts), each
 * file's one backup path, which Builder Bar computes and never reads from the record, and the
 * modes Builder Bar writes. Checked when the record is read and again by the writer, just
 * before it changes anything (for the system target: before the root script is built).
 *
 * Modes: on the system target root installs only 0644 (what Nix's files have) and 0600 (the
 * key); a setuid, executable or group-writable file made by root is never right there. In a
 * config directory the user owns, the writer is the user and the file keeps its own mode
 * (a nix.conf may well be 0640), so only the special bits (setuid, setgid, sticky) are refused.
 *
 * Backups: a config directory's originals are kept in the state dir (the same user owns both).
 * The system target's originals are copied by the admin script itself into
 * `/Library/Application Support/Builder Bar/nix-wiring-backups` (root, 0700), where nothing the
 * user runs can swap the bytes that root later puts back into /etc. Not under /etc/nix: Nix's
 * installers and uninstallers and nix-darwin treat that directory as theirs, and a Determinate
 * uninstall would take the originals with it. Each state dir has its own names there (its path's
 * hash), so two instances never overwrite each other's original.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { BuilderBarError } from '../errors.js';
import type { WiringOperation } from './wiringFileWriter.js';
import type { WiringRecord } from './wiringRecord.js';
import { confDirProblem, describeTarget, targetLayout, type TargetLayout, type WiringTarget } from './wiringTarget.js';

export const SYSTEM_BACKUP_DIR = '/Library/Application Support/Builder Bar/nix-wiring-backups';
/** The config-directory target's originals, inside the state dir. */
export const WIRING_BACKUP_DIR = 'nix-wiring-backups';

/** Every file the wiring of this layout may write, and nothing else (the system target's LaunchDaemon included). */
export function layoutFiles(layout: TargetLayout): string[] {
  const files = [layout.nixConf, layout.machines, layout.sshConfig, layout.knownHosts, layout.clientKey];
  return layout.logRelayJob === null ? files : [...files, layout.logRelayJob];
}

/** Where the original of `file` is kept; computed, never taken from the record. */
export function backupPathFor(target: WiringTarget, stateDir: string, file: string): string {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const name = `${sha256(file).slice(0, 12)}-${path.basename(file)}`;
  if (target.kind === 'system') return path.posix.join(SYSTEM_BACKUP_DIR, `${sha256(path.resolve(stateDir)).slice(0, 12)}-${name}`);
  return path.join(path.resolve(stateDir), WIRING_BACKUP_DIR, name);
}

export function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** Null when the target may hold a file of this mode; otherwise why not. */
export function modeProblem(target: WiringTarget, mode: number): string | null {
  if (!Number.isInteger(mode) || mode < 0) return `mode ${String(mode)} is not a file mode`;
  if (target.kind === 'system') return mode === 0o644 || mode === 0o600 ? null : `mode ${octal(mode)}: as root Builder Bar writes only 0644 or 0600`;
  return (mode & ~0o777) === 0 ? null : `mode ${octal(mode)}: Builder Bar never sets setuid, setgid or sticky bits`;
}

/** The problem with a target itself: a conf dir must be an absolute, normal path without spaces. */
function targetProblem(target: WiringTarget): string | null {
  if (target.kind === 'system') return null;
  if (!path.isAbsolute(target.dir) || path.resolve(target.dir) !== target.dir) return `the config directory "${target.dir}" is not an absolute, normal path`;
  return confDirProblem(target.dir);
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Every way the record reaches outside its target's layout; empty when it does not. */
export function recordProblems(record: WiringRecord, stateDir: string): string[] {
  const problems: string[] = [];
  const fromTarget = targetProblem(record.target);
  if (fromTarget) return [fromTarget];
  const allowed = layoutFiles(targetLayout(record.target));
  const seen = new Set<string>();
  for (const file of record.files) {
    if (!allowed.includes(file.path)) {
      problems.push(`it names ${file.path}, which is not one of the files Builder Bar writes for ${describeTarget(record.target)}`);
      continue;
    }
    if (seen.has(file.path)) problems.push(`it names ${file.path} twice`);
    seen.add(file.path);
    if (!SHA256.test(file.writtenSha256)) problems.push(`its checksum for ${file.path} is not a SHA-256`);
    if (file.createdByUs) {
      if (file.backupPath !== null || file.originalMode !== null || file.originalSha256 !== null) {
        problems.push(`it says Builder Bar created ${file.path} yet names an original of it`);
      }
      continue;
    }
    const expected = backupPathFor(record.target, stateDir, file.path);
    if (file.backupPath !== expected) problems.push(`its backup of ${file.path} is ${String(file.backupPath)}, not ${expected}`);
    if (file.originalMode === null) problems.push(`it has no mode for the original of ${file.path}`);
    else {
      const mode = modeProblem(record.target, file.originalMode);
      if (mode) problems.push(`the original of ${file.path} has ${mode}`);
    }
    if (file.originalSha256 === null || !SHA256.test(file.originalSha256)) problems.push(`its checksum of the original of ${file.path} is not a SHA-256`);
  }
  return problems;
}

/** The refusal for a record that reaches outside its layout: nothing is changed. */
export function untrustedRecord(recordFile: string, problems: readonly string[]): BuilderBarError {
  return new BuilderBarError(
    'wiring-refused',
    `${recordFile} cannot be trusted: ${problems.join('; ')}. Builder Bar never writes such a record; nothing was changed.`,
    `Move ${recordFile} out of the state dir (it only records what Builder Bar wrote; moving it changes no file), check your Nix configuration, then plan and apply again.`,
  );
}

/** Refuses, before anything is changed, an operation outside the target's layout, backups or modes. */
export function checkOperations(operations: readonly WiringOperation[], target: WiringTarget, stateDir: string): void {
  const fromTarget = targetProblem(target);
  const outside: string[] = fromTarget ? [fromTarget] : [];
  const modes: string[] = [];
  const allowed = layoutFiles(targetLayout(target));
  for (const op of operations) {
    if (!allowed.includes(op.file)) {
      outside.push(`${op.file} is not one of the files Builder Bar writes for ${describeTarget(target)}`);
      continue;
    }
    if ('backupPath' in op && op.backupPath !== backupPathFor(target, stateDir, op.file)) {
      outside.push(`${op.backupPath} is not the backup path of ${op.file}`);
    }
    if (op.kind === 'write' || op.kind === 'restore') {
      const mode = modeProblem(target, op.mode);
      if (mode) modes.push(`${op.file} would get ${mode}`);
    }
  }
  if (outside.length === 0 && modes.length === 0) return;
  throw new BuilderBarError(
    'wiring-refused',
    `Builder Bar refused to change ${describeTarget(target)}: ${[...outside, ...modes].join('; ')}. Nothing was changed.`,
    outside.length > 0
      ? 'Builder Bar never asks for this itself. Move nix-wiring.json out of the state dir if it was edited, then plan and apply again; otherwise report it as a bug.'
      : 'Give the file mode 0644 (sudo chmod 644 FILE), then plan and apply again.',
  );
}

/**
 * How apply and remove change the files of a wiring target: they describe every change as a
 * list of operations, and a writer carries out all of them or none. Every check comes first
 * (each file still holds the bytes that were read, each backup to restore holds the original,
 * every operation stays inside the target's layout: wiringBounds.ts), then the originals are
 * backed up, then files are installed. A conf dir the user owns is written here, directly
 * (atomic, explicit modes); the system target (/etc/nix, /etc/ssh) is written by one admin
 * step as root (adminFileWriter.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from '../errors.js';
import { removeStaleTemps, writeFileAtomic } from '../util/atomicWrite.js';
import { checkOperations } from './wiringBounds.js';
import { sha256 } from './wiringRecord.js';
import type { WiringTarget } from './wiringTarget.js';

export type WiringOperation =
  /** Replaces `file` with `content` and sets `mode`; `expectSha256` is what was read (null: absent). */
  | { kind: 'write'; file: string; content: string | Uint8Array; mode: number; expectSha256: string | null }
  /** Copies `file` (which must hold `expectSha256`) to its backup path, before anything is written. */
  | { kind: 'backup'; file: string; backupPath: string; expectSha256: string }
  /** Puts the backup (which must hold `backupSha256`) back with `mode`, then deletes the backup. */
  | { kind: 'restore'; file: string; backupPath: string; backupSha256: string; mode: number; expectSha256: string | null }
  /** Deletes a backup no longer needed (the file already holds the original again). */
  | { kind: 'dropBackup'; file: string; backupPath: string }
  | { kind: 'remove'; file: string; expectSha256: string | null };

/** A layout file as this process sees it: absent, readable, or there but only root may read it. */
export type CurrentFile = null | 'unreadable' | { bytes: Buffer; mode: number };

export interface WiringFileWriter {
  readonly target: WiringTarget;
  read(file: string): Promise<CurrentFile>;
  /** Every operation, or (after a refusal, with a BuilderBarError) none. */
  carryOut(operations: readonly WiringOperation[]): Promise<void>;
}

export function currentSha(current: CurrentFile): string | null | 'unreadable' {
  return current === null || current === 'unreadable' ? current : sha256(current.bytes);
}

export async function readCurrentFile(file: string): Promise<CurrentFile> {
  try {
    const bytes = await fs.readFile(file);
    const stat = await fs.stat(file);
    return { bytes, mode: stat.mode & 0o7777 };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EACCES' || code === 'EPERM') return 'unreadable';
    throw error;
  }
}

export function changedSinceRead(file: string): BuilderBarError {
  return new BuilderBarError('wiring-refused', `${file} changed since Builder Bar read it; nothing was changed.`, 'Plan again to see the change against the current files.');
}

/** Writes a config directory the caller owns, at once, after checking every operation. */
export class DirectFileWriter implements WiringFileWriter {
  constructor(
    readonly target: WiringTarget,
    private readonly stateDir: string,
  ) {}

  read(file: string): Promise<CurrentFile> {
    return readCurrentFile(file);
  }

  async carryOut(operations: readonly WiringOperation[]): Promise<void> {
    checkOperations(operations, this.target, this.stateDir);
    const backups = new Map<string, Buffer>();
    for (const op of operations) {
      if (op.kind === 'dropBackup') continue;
      if (currentSha(await readCurrentFile(op.file)) !== op.expectSha256) throw changedSinceRead(op.file);
      if (op.kind === 'restore') {
        const backup = await fs.readFile(op.backupPath).catch(() => null);
        if (backup === null || sha256(backup) !== op.backupSha256) {
          throw new BuilderBarError(
            'wiring-refused',
            `The backup ${op.backupPath} of ${op.file} is missing or is not the original; nothing was changed.`,
            `Restore ${op.file} by hand (take out the lines between "# BEGIN builder-bar" and "# END builder-bar"), then move ${path.join(this.stateDir, 'nix-wiring.json')} away.`,
          );
        }
        backups.set(op.file, backup);
      }
    }
    for (const op of operations) {
      if (op.kind !== 'backup') continue;
      const original = await fs.readFile(op.file);
      if (sha256(original) !== op.expectSha256) throw changedSinceRead(op.file);
      await fs.mkdir(path.dirname(op.backupPath), { recursive: true, mode: 0o700 });
      await writeFileAtomic(op.backupPath, original, { mode: 0o600 });
    }
    for (const op of operations) {
      switch (op.kind) {
        case 'write':
          await fs.mkdir(path.dirname(op.file), { recursive: true, mode: 0o755 });
          await writeFileAtomic(op.file, op.content, { mode: op.mode });
          break;
        case 'restore':
          await writeFileAtomic(op.file, backups.get(op.file) ?? Buffer.alloc(0), { mode: op.mode });
          await fs.rm(op.backupPath, { force: true });
          break;
        case 'dropBackup':
          await fs.rm(op.backupPath, { force: true });
          break;
        case 'remove':
          await fs.rm(op.file, { force: true });
          break;
        case 'backup':
          break;
      }
    }
    // A write killed half-way (the app crashed, the Mac lost power) leaves its temp file beside
    // the target; the target itself is whole either way. Tidy the user's directory now.
    for (const file of new Set(operations.map((op) => op.file))) await removeStaleTemps(file);
  }
}

/**
 * Apply a plan and take it back. Apply first checks every file still holds the bytes the plan
 * read (any difference refuses the whole plan before a byte is written), saves the original of
 * every file it edits but did not create, records all of it in `nix-wiring.json`, then writes
 * each file atomically. Applying the same plan again writes nothing. Remove restores every
 * edited file byte for byte with its mode and deletes the files apply created. Neither ever
 * replaces a symbolic link or writes through one (nix-darwin's files; wiringLinks.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from '../errors.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { splitMarkedBlock } from './markedBlock.js';
import type { PlannedFile, WiringPlan } from './planWiring.js';
import {
  deleteWiringRecord,
  readWiringRecord,
  sha256,
  WIRING_BACKUP_DIR,
  writeWiringRecord,
  type WiringRecord,
  type WiringRecordFile,
} from './wiringRecord.js';
import { linkAt, linkProblemMessage, linkRemoveNote, linksAmong } from './wiringLinks.js';
import { describeTarget, targetLayout, type TargetLayout } from './wiringTarget.js';
import { AdminFileWriter, directFileWriter, macAdminRunner, type WiringFileWriter } from './wiringFileWriter.js';

export interface ApplyResult {
  written: string[];
  unchanged: string[];
}

async function currentSha(file: string): Promise<string | null> {
  const bytes = await fs.readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  return bytes === null ? null : sha256(bytes);
}

function backupName(file: string): string {
  // The path's hash keeps two `nix.conf`s from different directories apart.
  return `${sha256(file).slice(0, 12)}-${path.basename(file)}`;
}

/**
 * The writer for a target: a conf dir directly; the system target through the macOS admin step
 * (one script, one password prompt). Anywhere else the system target is refused.
 */
export function writerFor(layout: TargetLayout, stateDir: string, platform: NodeJS.Platform = process.platform): WiringFileWriter {
  if (!layout.needsAdmin) return directFileWriter;
  if (platform !== 'darwin') {
    throw new BuilderBarError(
      'not-supported',
      'The system target (/etc/nix) is written by the macOS admin step; this is not a Mac.',
      'Use a config directory (--conf-dir DIR) on this machine.',
    );
  }
  return new AdminFileWriter({
    stagingDir: path.join(stateDir, 'nix-wiring-admin'),
    runner: macAdminRunner,
    nixConf: layout.nixConf,
    restartDaemon: ['/bin/launchctl', 'kickstart', '-k', 'system/org.nixos.nix-daemon'],
  });
}

export async function applyWiring(plan: WiringPlan, stateDir: string, writer: WiringFileWriter = writerFor(plan.layout, stateDir)): Promise<ApplyResult> {
  if (plan.problems.length > 0) {
    throw new BuilderBarError('wiring-refused', plan.problems.map((problem) => problem.message).join('\n'), 'Nothing was written.');
  }
  // A link made since the plan read the files (the plan itself refuses those it saw).
  const links = await linksAmong(plan.files.map((file) => file.path));
  if (links.length > 0) throw new BuilderBarError('wiring-refused', links.map(linkProblemMessage).join('\n'), 'Nothing was written.');
  const toWrite = plan.files.filter((file) => file.change !== 'none');
  const changed: string[] = [];
  for (const file of plan.files) {
    if ((await currentSha(file.path)) !== file.before.sha256) changed.push(file.path);
  }
  if (changed.length > 0) {
    throw new BuilderBarError(
      'wiring-refused',
      `Changed since the plan read it: ${changed.join(', ')}. Nothing was written.`,
      'Run plan again to see the change against the current files.',
    );
  }
  const previous = await readWiringRecord(stateDir);
  if (previous && JSON.stringify(previous.target) !== JSON.stringify(plan.target)) {
    throw new BuilderBarError('wiring-refused', `The wiring is applied to ${describeTarget(previous.target)}; remove it first.`, null);
  }
  if (toWrite.length === 0) {
    return { written: [], unchanged: plan.files.map((file) => file.path) };
  }

  const backupDir = path.join(stateDir, WIRING_BACKUP_DIR);
  await fs.mkdir(backupDir, { recursive: true, mode: 0o700 });
  const entries = new Map<string, WiringRecordFile>((previous?.files ?? []).map((file) => [file.path, file]));
  for (const file of toWrite) {
    entries.set(file.path, await recordEntry(file, entries.get(file.path), backupDir));
  }
  const record: WiringRecord = { version: 1, target: plan.target, appliedAt: Date.now(), files: [...entries.values()] };
  // The record comes first, so a crash halfway still lets remove restore what was written.
  await writeWiringRecord(stateDir, record);
  try {
    for (const file of toWrite) await writer.write(file.path, file.after, file.mode, file.before.sha256);
    await writer.commit();
  } catch (error) {
    // Nothing was written (the admin step checks every file before it changes any): the
    // record must say so too.
    if (previous) await writeWiringRecord(stateDir, previous);
    else await deleteWiringRecord(stateDir);
    throw error;
  }
  return {
    written: toWrite.map((file) => file.path),
    unchanged: plan.files.filter((file) => file.change === 'none').map((file) => file.path),
  };
}

/** The first apply's original is the one remove restores; later applies keep it. */
async function recordEntry(file: PlannedFile, earlier: WiringRecordFile | undefined, backupDir: string): Promise<WiringRecordFile> {
  const writtenSha256 = sha256(file.after);
  if (earlier) return { ...earlier, writtenSha256 };
  if (file.createdByUs || !file.before.exists) {
    return { path: file.path, createdByUs: true, backupPath: null, originalMode: null, originalSha256: null, writtenSha256 };
  }
  const original = await fs.readFile(file.path);
  const backupPath = path.join(backupDir, backupName(file.path));
  await writeFileAtomic(backupPath, original, { mode: 0o600 });
  return {
    path: file.path,
    createdByUs: false,
    backupPath,
    originalMode: file.before.mode,
    originalSha256: sha256(original),
    writtenSha256,
  };
}

export interface RemoveResult {
  restored: string[];
  deleted: string[];
  /** Files someone edited after apply: only our block was taken out, their edits stay. */
  blockRemoved: string[];
  notes: string[];
}

export async function removeWiring(stateDir: string, chosenWriter?: WiringFileWriter): Promise<RemoveResult> {
  const record = await readWiringRecord(stateDir);
  const result: RemoveResult = { restored: [], deleted: [], blockRemoved: [], notes: [] };
  if (!record) {
    result.notes.push('Builder Bar has not wired Nix from this state dir; nothing to remove.');
    return result;
  }
  const writer = chosenWriter ?? writerFor(targetLayout(record.target), stateDir);
  let keptBackup = false;
  for (const file of record.files) {
    const link = await linkAt(file.path);
    if (link) {
      // nix-darwin (or another tool) took the file over since apply: its link stays, and so does our backup.
      result.notes.push(linkRemoveNote(link, file.backupPath));
      keptBackup ||= file.backupPath !== null;
      continue;
    }
    const current = await fs.readFile(file.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    const currentSha256 = current === null ? null : sha256(current);
    if (file.createdByUs) {
      if (current !== null) await writer.remove(file.path, currentSha256);
      result.deleted.push(file.path);
      continue;
    }
    if (!file.backupPath || file.originalMode === null) continue;
    const original = await fs.readFile(file.backupPath);
    if (current === null || currentSha256 === file.writtenSha256) {
      await writer.write(file.path, original, file.originalMode, currentSha256);
      result.restored.push(file.path);
    } else {
      const stat = await fs.stat(file.path);
      await writer.write(file.path, splitMarkedBlock(current.toString('utf8')).outside, stat.mode & 0o7777, currentSha256);
      result.blockRemoved.push(file.path);
      result.notes.push(`${file.path} was edited after Builder Bar wired it: only the builder-bar block was removed; the original is kept at ${file.backupPath}.`);
    }
  }
  await writer.commit();
  if (result.blockRemoved.length === 0 && !keptBackup) {
    await fs.rm(path.join(stateDir, WIRING_BACKUP_DIR), { recursive: true, force: true });
  }
  await deleteWiringRecord(stateDir);
  return result;
}

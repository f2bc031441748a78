/**
 * Apply a plan and take it back. Apply first checks every file still holds the bytes the plan
 * read (any difference refuses the whole plan before a byte is written), records in
 * `nix-wiring.json` every file it writes and where the original of each file it edits but did
 * not create is kept, then has the writer back up those originals and write each file (all or
 * nothing, see wiringFileWriter.ts). Applying the same plan again writes nothing. Remove
 * restores every edited file byte for byte with its mode and deletes the files apply created.
 *
 * Remove deletes a file only when what is in it is Builder Bar's: a file it created holds
 * nothing but Builder Bar's marked block (the key: exactly the key it wrote). A file that holds
 * more (lines the user added, or a record claiming Builder Bar created the user's nix.conf)
 * loses only the marked block; one without the block is left as it is, with a note.
 *
 * Neither ever replaces a symbolic link or writes through one (nix-darwin's files; wiringLinks.ts):
 * apply refuses while one is in the way, remove leaves it and keeps the original's backup.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from '../errors.js';
import { AdminFileWriter } from './adminFileWriter.js';
import { macAdminRunner } from './macAdminRunner.js';
import { macDaemonRestartArgv } from './nixDaemonAccess.js';
import { adminLogRelay } from './launchdLogSocket.js';
import { splitMarkedBlock, unpairedMarkerMessage } from './markedBlock.js';
import { notUtf8, notUtf8Where, type NotUtf8 } from './utf8Text.js';
import type { PlannedFile, WiringPlan } from './planWiring.js';
import { backupPathFor, checkOperations, recordProblems, untrustedRecord, WIRING_BACKUP_DIR } from './wiringBounds.js';
import { currentSha, DirectFileWriter, type CurrentFile, type WiringFileWriter, type WiringOperation } from './wiringFileWriter.js';
import { deleteWiringRecord, readWiringRecord, recordPath, sha256, writeWiringRecord, type WiringRecord, type WiringRecordFile } from './wiringRecord.js';
import { describeTarget, targetLayout, type WiringTarget } from './wiringTarget.js';
import { linkAt, linkProblemMessage, linkRemoveNote, linksAmong } from './wiringLinks.js';

export interface ApplyResult {
  written: string[];
  unchanged: string[];
}

/**
 * The writer for a target: a conf dir directly; the system target through the macOS admin step
 * (one script, one password prompt). Anywhere else the system target is refused.
 */
export function writerFor(target: WiringTarget, stateDir: string, platform: NodeJS.Platform = process.platform): WiringFileWriter {
  if (target.kind === 'confDir') return new DirectFileWriter(target, stateDir);
  if (platform !== 'darwin') {
    throw new BuilderBarError(
      'not-supported',
      'The system target (/etc/nix) is written by the macOS admin step; this is not a Mac.',
      'Use a config directory (--conf-dir DIR) on this machine.',
    );
  }
  return new AdminFileWriter({
    target,
    stateDir,
    runner: macAdminRunner,
    // Determinate's daemon is another launchd service: kicking org.nixos.nix-daemon there
    // would leave the running daemon on the old nix.conf.
    restartDaemon: macDaemonRestartArgv(target.determinate),
    // From this process's uid alone, never from the record: root runs these.
    logRelay: adminLogRelay(process.getuid?.() ?? 0),
  });
}

export async function applyWiring(plan: WiringPlan, stateDir: string, writer: WiringFileWriter = writerFor(plan.target, stateDir)): Promise<ApplyResult> {
  if (plan.problems.length > 0) {
    throw new BuilderBarError('wiring-refused', plan.problems.map((problem) => problem.message).join('\n'), 'Nothing was written.');
  }
  // A link made since the plan read the files (the plan itself refuses those it saw).
  const links = await linksAmong(plan.files.map((file) => file.path));
  if (links.length > 0) throw new BuilderBarError('wiring-refused', links.map(linkProblemMessage).join('\n'), 'Nothing was written.');
  const toWrite = plan.files.filter((file) => file.change !== 'none');
  const changed: string[] = [];
  for (const file of plan.files) {
    const now = currentSha(await writer.read(file.path));
    // Root's 0600 key (the system target) cannot be read here: the plan took what Builder Bar
    // wrote there from the record, and the admin script checks, as root, that it still is.
    const same = now === 'unreadable' ? file.role === 'client-key' && file.before.sha256 !== null : now === file.before.sha256;
    if (!same) changed.push(file.path);
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

  const operations: WiringOperation[] = [];
  const entries = new Map<string, WiringRecordFile>((previous?.files ?? []).map((file) => [file.path, file]));
  for (const file of toWrite) {
    const recorded = entries.get(file.path);
    // A file that holds its original again (a remove cut short after it restored the file and
    // dropped its backup) is backed up afresh; the old entry's backup may be gone.
    const earlier = recorded && !recorded.createdByUs && recorded.originalSha256 === file.before.sha256 ? undefined : recorded;
    const entry = recordEntry(file, earlier, plan.target, stateDir);
    entries.set(file.path, entry);
    // The first apply that edits a file keeps its original; a later one keeps that one.
    if (!earlier && entry.backupPath !== null && file.before.sha256 !== null) {
      operations.push({ kind: 'backup', file: file.path, backupPath: entry.backupPath, expectSha256: file.before.sha256 });
    }
  }
  for (const file of toWrite) operations.push({ kind: 'write', file: file.path, content: file.after, mode: file.mode, expectSha256: file.before.sha256 });
  const record: WiringRecord = { version: 1, target: plan.target, appliedAt: Date.now(), files: [...entries.values()] };
  // Both checked before the record is written: a refusal leaves no trace.
  checkOperations(operations, plan.target, stateDir);
  const problems = recordProblems(record, stateDir);
  if (problems.length > 0) throw untrustedRecord(recordPath(stateDir), problems);
  // The record comes first, so a crash halfway still lets remove restore what was written.
  await writeWiringRecord(stateDir, record);
  try {
    await writer.carryOut(operations);
  } catch (error) {
    // Nothing was written (every check comes before any change): the record must say so too.
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
function recordEntry(file: PlannedFile, earlier: WiringRecordFile | undefined, target: WiringTarget, stateDir: string): WiringRecordFile {
  const writtenSha256 = sha256(file.after);
  if (earlier) return { ...earlier, writtenSha256 };
  if (file.createdByUs || !file.before.exists) {
    return { path: file.path, createdByUs: true, backupPath: null, originalMode: null, originalSha256: null, writtenSha256 };
  }
  return {
    path: file.path,
    createdByUs: false,
    backupPath: backupPathFor(target, stateDir, file.path),
    originalMode: file.before.mode,
    originalSha256: file.before.sha256,
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
  const writer = chosenWriter ?? writerFor(record.target, stateDir);
  if (JSON.stringify(writer.target) !== JSON.stringify(record.target)) {
    throw new BuilderBarError('wiring-refused', `The wiring is applied to ${describeTarget(record.target)}, not ${describeTarget(writer.target)}; nothing was changed.`, null);
  }
  const layout = targetLayout(record.target);
  // Files that are Builder Bar's through and through (no marked block): gone only while they hold what was written.
  const wholeFile = (file: string): string | null => (file === layout.clientKey ? 'the key' : file === layout.logRelayJob ? "the log relay's LaunchDaemon" : null);
  const operations: WiringOperation[] = [];
  for (const file of record.files) {
    const link = await linkAt(file.path);
    if (link) {
      // nix-darwin (or another tool) took the file over since apply: its link stays, and so does our backup.
      result.notes.push(linkRemoveNote(link, file.backupPath));
      continue;
    }
    const current = await writer.read(file.path);
    if (file.createdByUs) removeCreated(file, current, wholeFile(file.path), operations, result);
    else restoreEdited(file, current, operations, result);
  }
  await writer.carryOut(operations);
  if (record.target.kind === 'confDir') {
    // Gone only when empty: a backup kept for a file the user edited stays.
    await fs.rmdir(path.join(stateDir, WIRING_BACKUP_DIR)).catch(() => undefined);
  }
  await deleteWiringRecord(stateDir);
  return result;
}

/** A file apply created: deleted only when what it holds is Builder Bar's. */
function removeCreated(file: WiringRecordFile, current: CurrentFile, whole: string | null, operations: WiringOperation[], result: RemoveResult): void {
  if (current === null) {
    result.deleted.push(file.path);
    return;
  }
  if (current === 'unreadable' || whole !== null) {
    // Only root reads the system's key: the admin step deletes it only if it holds what was written.
    if (current === 'unreadable' || sha256(current.bytes) === file.writtenSha256) {
      operations.push({ kind: 'remove', file: file.path, expectSha256: file.writtenSha256 });
      result.deleted.push(file.path);
    } else {
      result.notes.push(`${file.path} is not ${whole ?? 'the file'} Builder Bar wrote there; it was left as it is.`);
    }
    return;
  }
  const bad = notUtf8(current.bytes);
  if (bad) {
    result.notes.push(`${notUtf8Note(file.path, bad)}; it was left as it is, Builder Bar's block included: take out the lines between "# BEGIN builder-bar" and "# END builder-bar" yourself.`);
    return;
  }
  const text = current.bytes.toString('utf8');
  const { outside, inside, unpaired } = splitMarkedBlock(text);
  if (unpaired) {
    result.notes.push(`${unpairedMarkerMessage(file.path, unpaired)}: it was left as it is. Delete Builder Bar's lines and its marker yourself.`);
  } else if (inside === null) {
    result.notes.push(`${file.path} does not hold Builder Bar's block; it was left as it is.`);
  } else if (outside === '') {
    operations.push({ kind: 'remove', file: file.path, expectSha256: sha256(current.bytes) });
    result.deleted.push(file.path);
  } else {
    operations.push({ kind: 'write', file: file.path, content: outside, mode: current.mode, expectSha256: sha256(current.bytes) });
    result.blockRemoved.push(file.path);
    result.notes.push(`${file.path} holds lines Builder Bar did not write: only the builder-bar block was removed; the file stays.`);
  }
}

/** A file apply edited: its original back, or (edited since) only our block out. */
function restoreEdited(file: WiringRecordFile, current: CurrentFile, operations: WiringOperation[], result: RemoveResult): void {
  // recordProblems guarantees these for an edited file.
  if (file.backupPath === null || file.originalMode === null || file.originalSha256 === null) return;
  const sha = currentSha(current);
  if (sha === file.originalSha256) {
    // Already the original (a crash before apply wrote it, or after remove restored it).
    operations.push({ kind: 'dropBackup', file: file.path, backupPath: file.backupPath });
    result.restored.push(file.path);
    return;
  }
  if (current === null || current === 'unreadable' || (sha === file.writtenSha256 && outsideIsOriginal(current.bytes, file.originalSha256))) {
    const expectSha256 = current === 'unreadable' ? file.writtenSha256 : current === null ? null : sha256(current.bytes);
    operations.push({ kind: 'restore', file: file.path, backupPath: file.backupPath, backupSha256: file.originalSha256, mode: file.originalMode, expectSha256 });
    result.restored.push(file.path);
    return;
  }
  const bad = notUtf8(current.bytes);
  if (bad) {
    result.notes.push(`${notUtf8Note(file.path, bad)}; it was left as it is, Builder Bar's block included: take out the lines between "# BEGIN builder-bar" and "# END builder-bar" yourself. The original is kept at ${file.backupPath}.`);
    return;
  }
  const { outside, inside, unpaired } = splitMarkedBlock(current.bytes.toString('utf8'));
  if (unpaired) {
    result.notes.push(`${unpairedMarkerMessage(file.path, unpaired)}: it was left as it is. Delete Builder Bar's lines and its marker yourself; the original is kept at ${file.backupPath}.`);
    return;
  }
  if (inside === null) {
    result.notes.push(`${file.path} was edited after Builder Bar wired it and no longer holds Builder Bar's block; it was left as it is. The original is kept at ${file.backupPath}.`);
    return;
  }
  operations.push({ kind: 'write', file: file.path, content: outside, mode: current.mode, expectSha256: sha256(current.bytes) });
  result.blockRemoved.push(file.path);
  result.notes.push(`${file.path} was edited after Builder Bar wired it: only the builder-bar block was removed; the original is kept at ${file.backupPath}.`);
}

/**
 * True when the file without our block is its original (apply adds a final newline to an
 * original without one). A later apply rewrites the file with whatever the user added since the
 * first one, and records that as written: restoring the first original then would drop those lines.
 */
function outsideIsOriginal(bytes: Buffer, originalSha256: string): boolean {
  if (notUtf8(bytes)) return false;
  const { outside } = splitMarkedBlock(bytes.toString('utf8'));
  return sha256(outside) === originalSha256 || (outside.endsWith('\n') && sha256(outside.slice(0, -1)) === originalSha256);
}

/** Why remove leaves a file that is not UTF-8 (edited since apply): rewriting it as text would change bytes outside the block. */
function notUtf8Note(file: string, where: NotUtf8): string {
  return `${notUtf8Where(file, where)}, and Builder Bar never changes a byte outside its block`;
}

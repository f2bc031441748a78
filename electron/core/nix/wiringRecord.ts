/**
 * What apply did, kept in the state dir (`nix-wiring.json`, 0600) so remove works after a
 * restart: every file touched, whether we created it, and where the original bytes and mode
 * were saved. Written before the files themselves, so a crash mid-apply still leaves a record
 * remove can follow. Anything running as the user can rewrite it, so it is read only through
 * wiringBounds.ts: a record naming anything but its target's own files, their backup paths
 * and the modes Builder Bar writes is refused, with what to do, before anything is touched.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BuilderBarError } from '../errors.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { recordProblems, untrustedRecord } from './wiringBounds.js';

export { WIRING_BACKUP_DIR } from './wiringBounds.js';
export const WIRING_RECORD_FILE = 'nix-wiring.json';

export const WiringTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('system'), determinate: z.boolean() }),
  z.object({ kind: z.literal('confDir'), dir: z.string() }),
]);

export const WiringRecordFileSchema = z.object({
  path: z.string(),
  /** True when the file did not exist before apply: remove deletes it. */
  createdByUs: z.boolean(),
  /** Where the original bytes are kept (for files we edited): always `backupPathFor` the file. */
  backupPath: z.string().nullable(),
  originalMode: z.number().int().nullable(),
  originalSha256: z.string().nullable(),
  /** What apply wrote; remove restores the backup only if the file still holds exactly this. */
  writtenSha256: z.string(),
});
export type WiringRecordFile = z.infer<typeof WiringRecordFileSchema>;

export const WiringRecordSchema = z.object({
  version: z.literal(1),
  target: WiringTargetSchema,
  appliedAt: z.number(),
  files: z.array(WiringRecordFileSchema),
});
export type WiringRecord = z.infer<typeof WiringRecordSchema>;

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function recordPath(stateDir: string): string {
  return path.join(stateDir, WIRING_RECORD_FILE);
}

/**
 * The record as stored, checked only against its schema: for a diagnostics bundle, which shows
 * it as it is. Everything that acts on the record uses `readWiringRecord`.
 */
export async function readStoredWiringRecord(stateDir: string): Promise<WiringRecord | null> {
  const text = await fs.readFile(recordPath(stateDir), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (text === null) return null;
  const hint = `Move ${recordPath(stateDir)} out of the state dir (it only records what Builder Bar wrote), check your Nix configuration, then plan and apply again.`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BuilderBarError('wiring-refused', `${recordPath(stateDir)} is not valid JSON; it records what Builder Bar wrote into your Nix configuration.`, hint);
  }
  const parsed = WiringRecordSchema.safeParse(json);
  if (!parsed.success) throw new BuilderBarError('wiring-refused', `${recordPath(stateDir)} is not a wiring record: ${parsed.error.issues[0]?.message ?? 'invalid'}`, hint);
  return parsed.data;
}

/** The record, refused unless it names only its target's files, backup paths and modes. */
export async function readWiringRecord(stateDir: string): Promise<WiringRecord | null> {
  const record = await readStoredWiringRecord(stateDir);
  if (record === null) return null;
  const problems = recordProblems(record, stateDir);
  if (problems.length > 0) throw untrustedRecord(recordPath(stateDir), problems);
  return record;
}

export async function writeWiringRecord(stateDir: string, record: WiringRecord): Promise<void> {
  await writeFileAtomic(recordPath(stateDir), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export async function deleteWiringRecord(stateDir: string): Promise<void> {
  await fs.rm(recordPath(stateDir), { force: true });
}

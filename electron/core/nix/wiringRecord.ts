/**
 * What apply did, kept in the state dir (`nix-wiring.json`, 0600) so remove works after a
 * restart: every file touched, whether we created it, and where the original bytes and mode
 * were saved. Written before the files themselves, so a crash mid-apply still leaves a record
 * remove can follow.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomicWrite.js';

export const WIRING_RECORD_FILE = 'nix-wiring.json';
export const WIRING_BACKUP_DIR = 'nix-wiring-backups';

export const WiringTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('system'), determinate: z.boolean() }),
  z.object({ kind: z.literal('confDir'), dir: z.string() }),
]);

export const WiringRecordFileSchema = z.object({
  path: z.string(),
  /** True when the file did not exist before apply: remove deletes it. */
  createdByUs: z.boolean(),
  /** The original bytes (for files we edited), 0600 in the state dir. */
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

export async function readWiringRecord(stateDir: string): Promise<WiringRecord | null> {
  const text = await fs.readFile(recordPath(stateDir), 'utf8').catch(() => null);
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${recordPath(stateDir)} is not valid JSON; it records what Builder Bar wrote into your Nix configuration.`);
  }
  const parsed = WiringRecordSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${recordPath(stateDir)} is not a wiring record: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export async function writeWiringRecord(stateDir: string, record: WiringRecord): Promise<void> {
  await writeFileAtomic(recordPath(stateDir), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export async function deleteWiringRecord(stateDir: string): Promise<void> {
  await fs.rm(recordPath(stateDir), { force: true });
}

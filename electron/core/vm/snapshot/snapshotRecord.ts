/**
 * What a snapshot was taken with, kept as `snapshot.json` beside `state.bin`. A saved QEMU state
 * only fits the QEMU, guest image, devices and sizes it came from: restored into anything else it
 * fails at best, and at worst runs a guest whose RAM does not match its machine. So every value
 * that shapes the saved state is a key, and a start whose keys differ in any way never restores:
 * it drops the snapshot (saying which key changed) and boots cold, which makes a new one.
 */
import { parseJsonWith } from '../../util/jsonFile.js';
import { z } from 'zod';

export const SNAPSHOT_FORMAT = 1;

export const SnapshotKeysSchema = z.object({
  profile: z.string(),
  /** The guest image (kernel, initramfs, run script): the profile's prepared image hash. */
  image: z.string(),
  /** The QEMU binary: its real path, size and mtime (an upgrade changes them). */
  qemu: z.string(),
  accelerator: z.string(),
  cpus: z.number().int(),
  memoryMiB: z.number().int(),
  /** The /nix disk's virtual size: the guest's disk driver keeps the size it saw. */
  diskBytes: z.number().int(),
  /** The guest's ssh host key, read before the snapshot line. */
  hostKey: z.string(),
  /** The host's CPU architecture (a state file copied to another Mac is not for it). */
  hostArch: z.string(),
});
export type SnapshotKeys = z.infer<typeof SnapshotKeysSchema>;

export const SnapshotRecordSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  keys: SnapshotKeysSchema,
  /** QEMU's own version string at save time (query-version), for the log. */
  qemuVersion: z.string(),
  /** The state file's size and SHA-256: a truncated or altered file is never fed to QEMU. */
  sizeBytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  savedAt: z.number(),
});
export type SnapshotRecord = z.infer<typeof SnapshotRecordSchema>;

const KEY_WORDS: Record<keyof SnapshotKeys, string> = {
  profile: 'the profile',
  image: 'the guest image',
  qemu: 'QEMU',
  accelerator: 'the accelerator',
  cpus: 'the CPU count',
  memoryMiB: 'the memory size',
  diskBytes: 'the /nix disk size',
  hostKey: 'the guest host key',
  hostArch: "the host's architecture",
};

/** Why a snapshot taken with `saved` cannot serve a start with `wanted`, or null when it can. */
export function snapshotMismatch(saved: SnapshotKeys, wanted: SnapshotKeys): string | null {
  const changed = (Object.keys(KEY_WORDS) as (keyof SnapshotKeys)[]).filter((key) => saved[key] !== wanted[key]);
  if (changed.length === 0) return null;
  return changed
    .map((key) => {
      const [was, now] = [saved[key], wanted[key]];
      // Settings are worth quoting; hashes and paths are only named.
      return typeof was === 'number' || key === 'profile' || key === 'accelerator' ? `${KEY_WORDS[key]} changed from ${was} to ${now}` : `${KEY_WORDS[key]} changed`;
    })
    .join(', ');
}

/** The record in the file, or why it cannot be used. */
export function parseSnapshotRecord(text: string): { record: SnapshotRecord } | { problem: string } {
  const parsed = parseJsonWith(SnapshotRecordSchema, text);
  if (parsed.ok) return { record: parsed.value };
  if (parsed.notJson) return { problem: 'its record is not JSON (cut short?)' };
  return { problem: `its record does not read as format ${SNAPSHOT_FORMAT} (${parsed.path || '?'})` };
}

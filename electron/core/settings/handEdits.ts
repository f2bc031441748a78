/**
 * settings.json edited by hand while a core runs. The core writes the whole file on every
 * change, so an edit it did not take in first would be lost without a word the next time any
 * setting changes (the tester's `"cpus": 2`, back to 1 after `settings set memoryMiB=2048`).
 * The store remembers the bytes it last read or wrote (their SHA-256); before it saves a change
 * it reads the file again, and bytes it did not write are someone's edit: taken in whole, with
 * the change applied on top, or, when the edit cannot be used as it is (not JSON, a value out of
 * range, a setting Builder Bar does not know), the change is refused and the file left alone,
 * so nothing the user wrote is lost either way.
 */
import { createHash } from 'node:crypto';
import type { Settings } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import { defaultSettings } from './defaults.js';
import { migrateSettings } from './migrations.js';
import { repairSettings } from './repairSettings.js';
import type { HostLimits } from './validateSettings.js';

export function settingsDigest(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface HandEditInput {
  file: string;
  bytes: Buffer;
  /** Whose defaults fill what the file leaves out (the host's when omitted). */
  platform?: NodeJS.Platform | undefined;
  limits: HostLimits;
}

/** The settings a hand-edited file holds, or a BuilderBarError saying what to correct. */
export function settingsFromHandEdit({ file, bytes, platform, limits }: HandEditInput): Settings {
  const refuse = (why: string): BuilderBarError =>
    new BuilderBarError('invalid-settings', `${file} was edited outside Builder Bar and ${why}.`, 'Nothing was changed, in the file or in the settings in use: correct the file (or move it away), then change the setting again.');
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw refuse(`is not valid JSON now (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw refuse('does not hold a JSON object now');
  let migrated: Record<string, unknown>;
  try {
    migrated = migrateSettings(raw as Record<string, unknown>).value;
  } catch (error) {
    throw refuse((error as Error).message);
  }
  const repaired = repairSettings({ migrated, defaults: defaultSettings(platform), limits, file });
  // Repairing drops what does not fit; saving that would lose part of the user's edit.
  if (repaired.lostData || repaired.warnings.length > 0) throw refuse(`cannot be used as it is: ${repaired.warnings.join(' ')}`);
  return repaired.settings;
}

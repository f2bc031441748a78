/**
 * Settings file migrations, oldest first. A file without `version` is version 0: the
 * prototype's format, which used nixpkgs' option names (`virtualisation.cores`, `memorySize`,
 * `diskSize` in MiB, `darwin-builder.hostPort`). Each step takes the previous version's plain
 * object and returns the next one's; validation happens after the last step.
 */
import { DEFAULT_NIXPKGS_PIN } from './defaults.js';

type Json = Record<string, unknown>;

const steps: Array<(old: Json) => Json> = [
  // 0 -> 1
  (old) => {
    const next: Json = { ...old, version: 1 };
    rename(next, 'cores', 'cpus');
    rename(next, 'memorySize', 'memoryMiB');
    rename(next, 'port', 'hostPort');
    if ('diskSize' in next) {
      const mib = next.diskSize;
      delete next.diskSize;
      if (typeof mib === 'number') next.diskGiB = Math.max(1, Math.ceil(mib / 1024));
    }
    if ('autoRestart' in next) {
      const enabled = next.autoRestart;
      delete next.autoRestart;
      if (typeof enabled === 'boolean') next.restartPolicy = { ...(next.restartPolicy as Json | undefined), enabled };
    }
    return next;
  },
  // 1 -> 2: remote builders beside the VM (none until the user adds one)
  (old) => ({ ...old, remoteBuilders: Array.isArray(old.remoteBuilders) ? old.remoteBuilders : [], version: 2 }),
  // 2 -> 3: tracked repositories for incremental baselines (none until the user adds one)
  (old) => ({ ...old, trackedRepos: Array.isArray(old.trackedRepos) ? old.trackedRepos : [], version: 3 }),
  // 3 -> 4: which Nix to run; null finds it as before (PATH), now also in Nix's profile directories
  (old) => ({ ...old, nixBinDir: typeof old.nixBinDir === 'string' ? old.nixBinDir : null, version: 4 }),
  // 4 -> 5: the Mac builder's nixpkgs is pinned (it followed the `nixpkgs` registry entry before)
  (old) => ({ ...old, builderNixpkgs: old.builderNixpkgs ?? DEFAULT_NIXPKGS_PIN, version: 5 }),
  // 5 -> 6: Open at Login, off unless the user turns it on
  (old) => ({ ...old, openAtLogin: typeof old.openAtLogin === 'boolean' ? old.openAtLogin : false, version: 6 }),
];

export const LATEST_SETTINGS_VERSION = steps.length;

export interface MigrationResult {
  value: Json;
  from: number;
}

/** Brings a parsed settings object up to the latest version. Throws for a newer version. */
export function migrateSettings(raw: Json): MigrationResult {
  const from = raw.version === undefined ? 0 : raw.version;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) {
    throw new Error(`"version" must be a whole number, found ${JSON.stringify(raw.version)}`);
  }
  if (from > LATEST_SETTINGS_VERSION) {
    throw new NewerSettingsError(from);
  }
  let value = raw;
  for (let version = from; version < LATEST_SETTINGS_VERSION; version += 1) {
    value = steps[version]!(value);
  }
  return { value, from };
}

export class NewerSettingsError extends Error {
  constructor(readonly version: number) {
    super(`the settings file was written by a newer Builder Bar (settings version ${version}, this one knows ${LATEST_SETTINGS_VERSION})`);
  }
}

function rename(object: Json, from: string, to: string): void {
  if (from in object) {
    if (!(to in object)) object[to] = object[from];
    delete object[from];
  }
}

/**
 * The settings file: versioned, migrated on load, validated on every change, written
 * atomically (0600). A file that cannot be used loses nothing: it is copied aside before the
 * defaults take its place, and the reason goes to the app log. A file from a newer Builder Bar
 * is never overwritten.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Settings, SettingsPatch } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from '../logs/logSink.js';
import { ensurePrivateDir, writeFileAtomic } from '../util/atomicWrite.js';
import { defaultSettings } from './defaults.js';
import { migrateSettings, NewerSettingsError } from './migrations.js';
import { describeProblems, type HostLimits, validateSettings } from './validateSettings.js';

export interface SettingsStoreOptions {
  file: string;
  limits: HostLimits;
  logs: LogSink;
  platform?: NodeJS.Platform;
}

export class SettingsStore {
  private current: Settings;
  /** Set when the file on disk must not be overwritten; says why. */
  private readOnlyReason: string | null = null;

  private constructor(private readonly options: SettingsStoreOptions) {
    this.current = defaultSettings(options.platform);
  }

  static async open(options: SettingsStoreOptions): Promise<SettingsStore> {
    const store = new SettingsStore(options);
    await store.load();
    return store;
  }

  get(): Settings {
    return this.current;
  }

  /**
   * Validates and saves a patch; returns the new settings and the names of changed fields.
   * The core may also set `trackedRepos`, which clients change only through `baselines.*`.
   */
  async update(patch: SettingsPatch & { trackedRepos?: Settings['trackedRepos'] }): Promise<{ settings: Settings; changed: (keyof Settings)[] }> {
    if (this.readOnlyReason) {
      throw new BuilderBarError('invalid-settings', `Settings are read-only: ${this.readOnlyReason}.`,
        `Update Builder Bar, or move ${this.options.file} away to start from defaults.`);
    }
    const candidate: Settings = {
      ...this.current,
      ...patch,
      restartPolicy: { ...this.current.restartPolicy, ...patch.restartPolicy },
      logs: { ...this.current.logs, ...patch.logs },
      version: this.current.version,
    } as Settings;
    const result = validateSettings(candidate, this.options.limits);
    if (!result.ok) {
      throw new BuilderBarError('invalid-settings', `Settings not saved: ${describeProblems(result.problems)}.`,
        'Nothing was changed. Correct the value and save again.');
    }
    const changed = (Object.keys(result.settings) as (keyof Settings)[]).filter(
      (key) => JSON.stringify(result.settings[key]) !== JSON.stringify(this.current[key]),
    );
    if (changed.length > 0) {
      await this.save(result.settings);
      this.current = result.settings;
    }
    return { settings: this.current, changed };
  }

  private async load(): Promise<void> {
    const { file, logs } = this.options;
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // first run: defaults
      throw new BuilderBarError('invalid-settings', `Cannot read ${file}: ${(error as Error).message}.`,
        'Check the file\'s permissions.');
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      await this.setAside(`it is not valid JSON (${(error as Error).message})`);
      return;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      await this.setAside('it does not hold a JSON object');
      return;
    }
    let migrated: Record<string, unknown>;
    let from: number;
    try {
      ({ value: migrated, from } = migrateSettings(raw as Record<string, unknown>));
    } catch (error) {
      if (error instanceof NewerSettingsError) {
        this.readOnlyReason = error.message;
        logs.append('app', 'warn', `Using default settings without saving: ${error.message}.`);
        return;
      }
      await this.setAside((error as Error).message);
      return;
    }
    // Start from defaults so a file missing newer fields still loads; then drop, one by one,
    // fields that fail validation, keeping every value that is still good.
    const defaults = defaultSettings(this.options.platform);
    const merged: Record<string, unknown> = { ...defaults };
    for (const [key, value] of Object.entries(migrated)) {
      if (!(key in defaults)) {
        logs.append('app', 'warn', `Ignoring unknown setting "${key}" in ${file}.`);
        continue;
      }
      const fallback = defaults[key as keyof Settings];
      merged[key] = isPlainObject(value) && isPlainObject(fallback) ? { ...fallback, ...value } : value;
      const check = validateSettings(merged, this.options.limits);
      if (!check.ok && check.problems.some((p) => p.field === key || p.field.startsWith(`${key}.`))) {
        logs.append('app', 'warn', `Setting "${key}" in ${file} was refused (${describeProblems(check.problems)}); using the default.`);
        merged[key] = fallback;
      }
    }
    const final = validateSettings(merged, this.options.limits);
    this.current = final.ok ? final.settings : defaults;
    if (from !== this.current.version || JSON.stringify(this.current) !== JSON.stringify(raw)) {
      if (from !== this.current.version) {
        await fs.copyFile(file, `${file}.v${from}.bak`).catch(() => undefined);
        logs.append('app', 'info', `Migrated settings from version ${from} to ${this.current.version}; the old file is kept as ${path.basename(file)}.v${from}.bak.`);
      }
      await this.save(this.current);
    }
  }

  private async setAside(reason: string): Promise<void> {
    const { file, logs } = this.options;
    const aside = `${file}.broken-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await fs.rename(file, aside);
    logs.append('app', 'error', `Settings file ${file} could not be used: ${reason}. It was moved to ${aside}; using defaults.`);
  }

  private async save(settings: Settings): Promise<void> {
    await ensurePrivateDir(path.dirname(this.options.file));
    await writeFileAtomic(this.options.file, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

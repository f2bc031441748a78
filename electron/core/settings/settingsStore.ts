/**
 * The settings file: versioned, migrated on load, validated on every change, written
 * atomically (0600). Changes are applied one at a time, in the order they were asked for, each
 * to the settings the previous one left (a burst of them is written once): a read-modify-write caller (adding a remote builder,
 * a tracked repository) passes an updater that gets the current settings when its turn comes,
 * so two concurrent changes never overwrite each other. Every saved change is announced to
 * `onChange` listeners, whoever made it.
 *
 * A file that cannot be used loses nothing: it is copied aside before the defaults take its
 * place, and the reason goes to the app log. A file that is partly bad keeps its good values
 * and list elements (see repairSettings.ts); when writing it back would lose something, the
 * original bytes are kept first as `settings.json.bak-<time>`. A file from a newer Builder Bar
 * is never overwritten. A settings.json that is not a regular file (a FIFO, a directory, a
 * device) is never opened, since opening a FIFO would block the core for ever: the core refuses
 * to start, naming it, and leaves it as it is. A file edited by hand while the core runs is
 * taken in within a poll, or before the next change is saved (handEdits.ts), never written over.
 * A settings.json that is a link (dotfiles, home-manager) stays one: saves go where it leads
 * (settingsTarget.ts).
 */
import { promises as fs, unwatchFile, watchFile, type Stats } from 'node:fs';
import path from 'node:path';
import type { Settings, SettingsPatch } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from '../logs/logSink.js';
import { FileTooLargeError, NotRegularFileError, readRegularFile } from '../util/regularFile.js';
import { ensurePrivateDir, writeFileAtomic } from '../util/atomicWrite.js';
import { defaultSettings, SETTINGS_FILE_MAX_BYTES } from './defaults.js';
import { settingsDigest, settingsFromHandEdit } from './handEdits.js';
import { migrateSettings, NewerSettingsError } from './migrations.js';
import { repairSettings } from './repairSettings.js';
import { writeSettingsFile } from './settingsTarget.js';
import { NEEDS_RESTART } from './settingsEffects.js';
import { describeProblems, type HostLimits, validateSettings } from './validateSettings.js';

export interface SettingsStoreOptions {
  file: string;
  limits: HostLimits;
  logs: LogSink;
  platform?: NodeJS.Platform;
  /**
   * How often the file is looked at (a stat) for a hand edit made while nothing else changes;
   * default HAND_EDIT_POLL_MS, 0 for never (the edit then waits for the next change).
   */
  handEditPollMs?: number;
}

/**
 * A stat a second. Without it a hand edit waited for the next change anyone made: a user who
 * edited memoryMiB and then started the builder got the old size, and `settings get` showed it.
 */
const HAND_EDIT_POLL_MS = 1_000;

/** A change the core may make: a client's patch, plus `trackedRepos`, which clients change only through `baselines.*`. */
export type SettingsChange = SettingsPatch & { trackedRepos?: Settings['trackedRepos'] };

/**
 * Computes a change from the settings as they are when its turn comes. It may throw (e.g. "that
 * name is taken"): the change is then refused and nothing is saved.
 */
export type SettingsUpdater = (current: Settings) => SettingsChange | Promise<SettingsChange>;

export interface SettingsUpdate {
  settings: Settings;
  /** The settings this change was applied to. */
  before: Settings;
  changed: (keyof Settings)[];
}

export type SettingsListener = (update: SettingsUpdate) => void;

interface Waiter {
  change: SettingsChange | SettingsUpdater;
  resolve: (update: SettingsUpdate) => void;
  reject: (error: unknown) => void;
}

export class SettingsStore {
  private current: Settings;
  /** Set when the file on disk must not be overwritten; says why. */
  private readOnlyReason: string | null = null;
  /** The file as it was read, while writing over it would lose something it held. */
  private originalToKeep: Buffer | null = null;
  /** SHA-256 of the bytes last read from or written to the file (null: no file): anything else there is a hand edit. */
  private diskDigest: string | null = null;
  /** Changes asked for and not yet applied, oldest first. */
  private waiting: Waiter[] = [];
  private draining = false;
  private readonly listeners = new Set<SettingsListener>();
  /** What loading the file found wrong and did about it, for status and the Settings place. */
  private readonly notices: string[] = [];
  /** The last hand edit a poll could not use, said once (see watchForHandEdits). */
  private lastRefusedEdit: string | null = null;

  private constructor(private readonly options: SettingsStoreOptions) {
    this.current = defaultSettings(options.platform);
  }

  static async open(options: SettingsStoreOptions): Promise<SettingsStore> {
    const store = new SettingsStore(options);
    await store.load();
    store.watchForHandEdits();
    return store;
  }

  /** Stops looking for hand edits (the core is going away). */
  close(): void {
    unwatchFile(this.options.file, this.onFileStat);
  }

  /**
   * A hand edit is taken in as soon as a poll sees the file change, through the same queue as
   * every change (an empty one): a valid edit is in use and announced; one that cannot be used is
   * named once in the app log and changes nothing, and the next change is refused as before.
   * Polled, not watched: editors save by renaming a new file over the old, which an inotify or
   * kqueue watch of the old file does not follow. Never keeps the process alive.
   */
  private watchForHandEdits(): void {
    const interval = this.options.handEditPollMs ?? HAND_EDIT_POLL_MS;
    if (interval <= 0 || this.readOnlyReason) return;
    watchFile(this.options.file, { interval, persistent: false }, this.onFileStat);
  }

  private readonly onFileStat = (now: Stats, before: Stats): void => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
    this.update({}).then(
      () => {
        this.lastRefusedEdit = null;
      },
      (error: unknown) => {
        const text = (error as Error).message;
        if (text === this.lastRefusedEdit) return;
        this.lastRefusedEdit = text;
        this.options.logs.append('app', 'warn', `${text} The settings in use stay as they were.`);
      },
    );
  };

  get(): Settings {
    return this.current;
  }

  /**
   * What was wrong with the file when the core started and what was done about it (set aside,
   * values refused, a newer version left unwritten), in words; empty when it was fine. A user
   * who edited settings.json by hand sees why their values are not in use without the app log.
   */
  loadNotices(): readonly string[] {
    return this.notices;
  }

  /** Called after every saved change (not for a change that changed nothing). */
  onChange(listener: SettingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Validates and saves a change, after every change asked for before it; returns the new
   * settings, the settings it was applied to and the names of changed fields. Pass an updater
   * when the change depends on the current value (adding to or editing a list).
   */
  update(change: SettingsChange | SettingsUpdater): Promise<SettingsUpdate> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ change, resolve, reject });
      this.drain().catch((error: unknown) => {
        this.options.logs.append('app', 'error', `Settings changes stopped being applied: ${(error as Error).message}`);
      });
    });
  }

  /**
   * Applies the waiting changes in order, each to the result of the one before, and saves once
   * per batch: a burst of changes costs one write, and a change is only reported saved once
   * the file holds it. A refused change refuses only itself; a failed write refuses the batch.
   */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        try {
          await this.takeInHandEdit();
        } catch (error) {
          for (const waiter of batch) waiter.reject(error);
          continue;
        }
        let working = this.current;
        const outcomes: Array<{ waiter: Waiter; update: SettingsUpdate } | { waiter: Waiter; error: unknown }> = [];
        for (const waiter of batch) {
          try {
            const update = await this.applyTo(working, waiter.change);
            working = update.settings;
            outcomes.push({ waiter, update });
          } catch (error) {
            outcomes.push({ waiter, error });
          }
        }
        let saveError: unknown = null;
        if (working !== this.current) {
          try {
            await this.save(working);
            this.current = working;
          } catch (error) {
            saveError = error;
          }
        }
        for (const outcome of outcomes) {
          if ('error' in outcome) outcome.waiter.reject(outcome.error);
          else if (saveError !== null) outcome.waiter.reject(saveError);
          else {
            outcome.waiter.resolve(outcome.update);
            if (outcome.update.changed.length > 0) this.announce(outcome.update);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async applyTo(before: Settings, change: SettingsChange | SettingsUpdater): Promise<SettingsUpdate> {
    if (this.readOnlyReason) {
      throw new BuilderBarError('invalid-settings', `Settings are read-only: ${this.readOnlyReason}.`,
        `Update Builder Bar, or move ${this.options.file} away to start from defaults.`);
    }
    const patch = typeof change === 'function' ? await change(before) : change;
    const candidate: Settings = {
      ...before,
      ...patch,
      restartPolicy: { ...before.restartPolicy, ...patch.restartPolicy },
      logs: { ...before.logs, ...patch.logs },
      version: before.version,
    } as Settings;
    const result = validateSettings(candidate, this.options.limits);
    if (!result.ok) {
      throw new BuilderBarError('invalid-settings', `Settings not saved: ${describeProblems(result.problems)}.`,
        'Nothing was changed. Correct the value and save again.');
    }
    const changed = (Object.keys(result.settings) as (keyof Settings)[]).filter(
      (key) => JSON.stringify(result.settings[key]) !== JSON.stringify(before[key]),
    );
    return { settings: changed.length > 0 ? result.settings : before, before, changed };
  }

  /**
   * When the file holds bytes this store did not read or write, someone edited it: its settings
   * become the current ones (announced like any change) before the waiting changes apply on
   * top. An edit that cannot be used as it is throws, and the waiting changes are refused.
   */
  private async takeInHandEdit(): Promise<void> {
    if (this.readOnlyReason) return;
    const { file, logs } = this.options;
    const bytes = await readRegularFile(file, { advice: 'move it away, then change the setting again', maxBytes: SETTINGS_FILE_MAX_BYTES }).catch((error: unknown) => {
      if (error instanceof NotRegularFileError || error instanceof FileTooLargeError) {
        throw new BuilderBarError('invalid-settings', `${error.message}.`, 'Nothing was changed.');
      }
      // Deleted by hand, or unreadable (its mode changed): there is no edit to read, and the
      // save writes the settings in use again, as it did before edits were looked for.
      return null;
    });
    if (bytes === null || settingsDigest(bytes) === this.diskDigest) return;
    const edited = settingsFromHandEdit({ file, bytes, platform: this.options.platform, limits: this.options.limits });
    this.diskDigest = settingsDigest(bytes);
    const before = this.current;
    const changed = (Object.keys(edited) as (keyof Settings)[]).filter((key) => JSON.stringify(edited[key]) !== JSON.stringify(before[key]));
    if (changed.length === 0) return;
    this.current = edited;
    // "In use" is not the whole truth for what QEMU was started with: say when those apply.
    const atStart = changed.filter((key) => NEEDS_RESTART.has(key));
    const note = atStart.length > 0 ? ` (a running builder keeps its ${atStart.join(', ')} until it is restarted)` : '';
    logs.append('app', 'info', `${file} was edited outside Builder Bar: its ${changed.join(', ')} are in use now${note}.`);
    this.announce({ settings: edited, before, changed });
  }

  private announce(update: SettingsUpdate): void {
    for (const listener of this.listeners) {
      try {
        listener(update);
      } catch (error) {
        this.options.logs.append('app', 'error', `A settings listener failed: ${(error as Error).message}`);
      }
    }
  }

  private async load(): Promise<void> {
    const { file, logs } = this.options;
    let bytes: Buffer;
    try {
      // Never opened unless it is a regular file: a FIFO would block the core for ever.
      bytes = await readRegularFile(file, { advice: 'move it away and start again', maxBytes: SETTINGS_FILE_MAX_BYTES });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // first run: defaults
      if (error instanceof FileTooLargeError) {
        // Never read whole (a forged or runaway file), and set aside like any unusable one.
        await this.setAside(`it holds ${error.sizeBytes} bytes, more than the ${error.maxBytes} a settings file ever needs`);
        return;
      }
      if (error instanceof NotRegularFileError) {
        // Not set aside and not replaced by defaults: whatever it is stays as it is.
        throw new BuilderBarError('invalid-settings', `${error.message}.`,
          'Builder Bar keeps its settings there; it did not open this and changed nothing, so no settings are lost.');
      }
      throw new BuilderBarError('invalid-settings', `Cannot read ${file}: ${(error as Error).message}.`,
        'Check the file\'s permissions.');
    }
    this.diskDigest = settingsDigest(bytes);
    let raw: unknown;
    try {
      raw = JSON.parse(bytes.toString('utf8'));
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
        this.notice('warn', `Using default settings without saving: ${error.message}.`);
        return;
      }
      await this.setAside((error as Error).message);
      return;
    }
    const repaired = repairSettings({ migrated, defaults: defaultSettings(this.options.platform), limits: this.options.limits, file });
    for (const warning of repaired.warnings) this.notice('warn', warning);
    this.current = repaired.settings;
    if (repaired.lostData) this.originalToKeep = bytes;
    if (from !== this.current.version || JSON.stringify(this.current) !== JSON.stringify(raw)) {
      if (from !== this.current.version) {
        // The bytes read above, not a second open of the file (which could be something else by now).
        await writeFileAtomic(`${file}.v${from}.bak`, bytes, { mode: 0o600 }).catch(() => undefined);
        logs.append('app', 'info', `Migrated settings from version ${from} to ${this.current.version}; the old file is kept as ${path.basename(file)}.v${from}.bak.`);
      }
      // A file that is a link to one that cannot be written (home-manager's, in the Nix store)
      // is used as read, completed in memory: the core starts, and saying so is enough.
      await this.save(this.current).catch((error: unknown) => {
        if (!(error instanceof BuilderBarError)) throw error;
        this.notice('warn', `${error.message} The settings in use are the file's, completed in memory only.`);
      });
    }
  }

  private async setAside(reason: string): Promise<void> {
    const { file, logs } = this.options;
    const aside = `${file}.broken-${timestamp()}`;
    await fs.rename(file, aside);
    this.diskDigest = null;
    this.notice('error', `Settings file ${file} could not be used: ${reason}. It was moved to ${aside}; using defaults.`);
  }

  private notice(level: 'warn' | 'error', text: string): void {
    this.notices.push(text);
    this.options.logs.append('app', level, text);
  }

  private async save(settings: Settings): Promise<void> {
    await ensurePrivateDir(path.dirname(this.options.file));
    if (this.originalToKeep) {
      // Before the first write that drops something the file held: if this copy cannot be made,
      // nothing is written (the error says why) and the original stays where it is.
      const backup = `${this.options.file}.bak-${timestamp()}`;
      await writeFileAtomic(backup, this.originalToKeep, { mode: 0o600 });
      this.originalToKeep = null;
      this.notice('warn', `Settings were saved without the values named above; the file as it was is kept as ${backup}.`);
    }
    const text = `${JSON.stringify(settings, null, 2)}\n`;
    await writeSettingsFile(this.options.file, text);
    this.diskDigest = settingsDigest(text);
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

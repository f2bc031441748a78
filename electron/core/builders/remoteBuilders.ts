/**
 * The remote builders the user added beside the VM: kept in the settings, each with its last
 * health check, re-checked every few minutes and on demand. Nix spreads builds across every
 * machine in the machines entry by itself; this only keeps the list and tells whether each one
 * would take a build right now. The list changes through the settings store's queue (so it
 * announces the new settings itself); this class announces the list with its health.
 */
import type { RemoteBuilder, RemoteBuilderHealth, RemoteBuilderList } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from '../logs/logSink.js';
import type { SettingsStore } from '../settings/settingsStore.js';
import { checkRemoteBuilder } from './checkRemoteBuilder.js';
import { inBackground } from '../util/inBackground.js';

export interface RemoteBuildersOptions {
  settings: Pick<SettingsStore, 'get' | 'update'>;
  logs: LogSink;
  check?: (builder: RemoteBuilder) => Promise<RemoteBuilderHealth>;
  /** How often every builder is checked again; 0 turns periodic checks off. */
  intervalMs?: number;
}

export class RemoteBuilders {
  private readonly health = new Map<string, RemoteBuilderHealth>();
  private readonly listeners = new Set<(list: RemoteBuilderList) => void>();
  private readonly check: (builder: RemoteBuilder) => Promise<RemoteBuilderHealth>;
  private timer: NodeJS.Timeout | null = null;
  private readonly logError = (text: string): void => this.options.logs.append('app', 'error', text);

  constructor(private readonly options: RemoteBuildersOptions) {
    this.check = options.check ?? ((builder) => checkRemoteBuilder(builder));
    const interval = options.intervalMs ?? 300_000;
    if (interval > 0) {
      this.timer = setInterval(() => inBackground(this.checkNow(), 'Checking the remote builders', this.logError), interval);
      this.timer.unref();
    }
  }

  list(): RemoteBuilderList {
    return {
      builders: this.options.settings.get().remoteBuilders.map((builder) => ({
        builder,
        health: this.health.get(builder.id) ?? unchecked(builder.id),
      })),
    };
  }

  onChange(listener: (list: RemoteBuilderList) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async add(builder: RemoteBuilder): Promise<RemoteBuilderList> {
    // An updater: the list is read when the change's turn comes, so a concurrent add or remove
    // is never overwritten.
    await this.options.settings.update(({ remoteBuilders: current }) => {
      if (current.some((existing) => existing.id === builder.id)) {
        throw new BuilderBarError('invalid-settings', `A remote builder named "${builder.id}" already exists.`, 'Pick another name, or remove the old one first.');
      }
      return { remoteBuilders: [...current, builder] };
    });
    this.options.logs.append('app', 'info', `Added remote builder ${builder.id} (${builder.user}@${builder.host}:${builder.port}).`);
    this.announce();
    return this.checkNow(builder.id);
  }

  async remove(id: string): Promise<RemoteBuilderList> {
    await this.options.settings.update(({ remoteBuilders: current }) => {
      if (!current.some((builder) => builder.id === id)) {
        throw new BuilderBarError('invalid-request', `There is no remote builder named "${id}".`, 'builder-bar builders list shows their names.');
      }
      return { remoteBuilders: current.filter((builder) => builder.id !== id) };
    });
    this.health.delete(id);
    this.options.logs.append('app', 'info', `Removed remote builder ${id}.`);
    this.announce();
    return this.list();
  }

  /** Checks one builder (or all) and answers once the checks are done. */
  async checkNow(id?: string): Promise<RemoteBuilderList> {
    const targets = this.options.settings.get().remoteBuilders.filter((builder) => id === undefined || builder.id === id);
    if (id !== undefined && targets.length === 0) {
      throw new BuilderBarError('invalid-request', `There is no remote builder named "${id}".`, 'builder-bar builders list shows their names.');
    }
    for (const builder of targets) {
      this.health.set(builder.id, { ...(this.health.get(builder.id) ?? unchecked(builder.id)), state: 'checking', message: 'checking…' });
    }
    if (targets.length > 0) this.announce();
    await Promise.all(
      targets.map(async (builder) => {
        const health = await this.check(builder);
        const before = this.health.get(builder.id)?.state;
        this.health.set(builder.id, health);
        if (health.state !== 'ok' || before !== 'ok') {
          this.options.logs.append('app', health.state === 'ok' ? 'info' : 'warn', `Remote builder ${builder.id}: ${health.message}`);
        }
      }),
    );
    if (targets.length > 0) this.announce();
    return this.list();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  private announce(): void {
    const list = this.list();
    for (const listener of this.listeners) listener(list);
  }
}

function unchecked(id: string): RemoteBuilderHealth {
  return { id, state: 'unknown', message: 'not checked yet', nixVersion: null, latencyMs: null, checkedAt: null };
}

/**
 * Builds started outside Builder Bar, in the queue: the core's log socket (logSocket.ts) feeding
 * ExternalBuildStreams, with views pushed at most every `throttleMs` per build and each
 * derivation's lines in the build's log stream (`build:<id>`), as for our own builds. It never
 * fails the core: a socket that cannot be opened leaves the feed `unavailable`, with the reason.
 *
 * The socket is opened whatever the Nix in use, so a nix-daemon of another version that reads
 * the same nix.conf is heard too; `status()` says what the queue can see and why.
 */
import type { BuildView, ExternalFeed } from '../../ipc/contract.js';
import { toErrorInfo } from '../errors.js';
import { buildLogSource } from '../logs/buildLogSource.js';
import type { LogSink } from '../logs/logSink.js';
import { checkNixFeature } from '../nix/nixFeatures.js';
import type { NixResolver } from '../nix/nixInstallation.js';
import { ExternalBuildStreams } from './externalBuildStream.js';
import { LogSocketListener, nixLogSocketPath } from './logSocket.js';

export interface ExternalBuildFeedOptions {
  stateDir: string;
  logs: LogSink;
  nix: NixResolver;
  throttleMs?: number;
  /** Tests: the socket's path (default `<state dir>/nix-log.sock`). */
  socketPath?: string;
}

export class ExternalBuildFeed {
  private readonly buildListeners = new Set<(view: BuildView) => void>();
  private readonly removedListeners = new Set<(id: string) => void>();
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly options: ExternalBuildFeedOptions,
    private readonly streams: ExternalBuildStreams,
    private readonly listener: LogSocketListener | null,
    private readonly movedAside: string | null,
    private readonly openError: string | null,
  ) {}

  static async open(options: ExternalBuildFeedOptions): Promise<ExternalBuildFeed> {
    const socketPath = options.socketPath ?? nixLogSocketPath(options.stateDir);
    let feed: ExternalBuildFeed | null = null;
    const streams = new ExternalBuildStreams({
      onLogLine: (id, name, line) => options.logs.append(buildLogSource(id), 'info', `${name}> ${line}`),
    });
    try {
      const { listener, movedAside } = await LogSocketListener.open({
        socketPath,
        onLine: (connection, line) => {
          streams.line(connection, line);
          feed?.soon();
        },
        onClose: (connection) => {
          streams.closed(connection);
          feed?.soon();
        },
      });
      if (movedAside) {
        options.logs.append('app', 'warn', `Nix wrote its JSON log to ${socketPath} while no socket was there (the core had not run since json-log-path was set); the file was moved to ${movedAside}.`);
      }
      feed = new ExternalBuildFeed(options, streams, listener, movedAside, null);
    } catch (error) {
      const info = toErrorInfo(error);
      const reason = info.hint ? `${info.message} ${info.hint}` : info.message;
      options.logs.append('app', 'warn', `Builds started outside Builder Bar will not show in the queue: ${reason}`);
      feed = new ExternalBuildFeed(options, streams, null, null, reason);
    }
    return feed;
  }

  get socketPath(): string {
    return this.options.socketPath ?? nixLogSocketPath(this.options.stateDir);
  }

  list(): BuildView[] {
    return this.streams.list();
  }

  has(id: string): boolean {
    return this.streams.has(id);
  }

  log(id: string, drvPath: string | undefined): { lines: string[]; dropped: number } | null {
    return this.streams.log(id, drvPath);
  }

  onBuild(listener: (view: BuildView) => void): () => void {
    this.buildListeners.add(listener);
    return () => this.buildListeners.delete(listener);
  }

  onRemoved(listener: (id: string) => void): () => void {
    this.removedListeners.add(listener);
    return () => this.removedListeners.delete(listener);
  }

  /** What the queue sees of builds started elsewhere, and why not more. */
  async status(): Promise<ExternalFeed> {
    const socket = this.listener?.counts();
    const stream = this.streams.counts();
    const base = {
      socketPath: this.socketPath,
      connections: socket?.connections ?? 0,
      records: stream.records,
      malformed: stream.malformed,
      oversized: socket?.oversizedLines ?? 0,
      movedAside: this.movedAside,
    };
    if (this.openError !== null) {
      return { ...base, state: 'unavailable', message: `The queue shows only the builds Builder Bar starts: ${this.openError}` };
    }
    const nix = await this.options.nix.resolve();
    if (!nix.found) {
      return { ...base, state: 'no-nix', message: `The queue shows only the builds Builder Bar starts; no Nix was found (${nix.reason}).` };
    }
    const check = checkNixFeature(nix.installation, 'json-log-path');
    if (!check.ok) {
      return {
        ...base,
        state: 'nix-too-old',
        message: `The queue shows only the builds Builder Bar starts (and what others run on the builder VM): ${check.message} With Nix ${check.needs} or later, builder-bar nix apply points json-log-path at ${this.socketPath} and every build on this machine shows here.`,
      };
    }
    return {
      ...base,
      state: 'listening',
      message: `Builds of every Nix process that reads json-log-path = ${this.socketPath} show here: builder-bar nix apply --conf-dir writes it. On a Mac the system wiring (/etc/nix) points root's nix-daemon at a socket launchd makes in /private/var/run instead, relayed to this one as you.`,
    };
  }

  /** Stops listening; the socket file stays, so Nix's connects are refused, not written to a file. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.listener?.close();
    this.buildListeners.clear();
    this.removedListeners.clear();
  }

  private soon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const { views, removed } = this.streams.takeChanges();
      for (const view of views) for (const listener of this.buildListeners) listener(view);
      for (const id of removed) for (const listener of this.removedListeners) listener(id);
    }, this.options.throttleMs ?? 100);
    this.timer.unref();
  }
}

/**
 * Builds running on the builder that Builder Bar did not start (a `nix build` in a terminal,
 * another tool using the same machines entry): polled from the guest's processes while the
 * builder is ready, so the queue shows everything the builder is busy with.
 */
import type { ExternalBuild } from '../../ipc/contract.js';
import type { LogSink } from '../logs/logSink.js';
import { inBackground } from '../util/inBackground.js';
import { GUEST_BUILD_DIRS_COMMAND, parseGuestBuildDirs } from './guestBuildDirs.js';

export interface ExternalBuildWatcherOptions {
  /** Runs a command in the guest; rejects when the builder is not reachable. */
  exec: (command: string) => Promise<{ stdout: string; code: number | null }>;
  builderReady: () => boolean;
  /** Names of derivations Builder Bar's own builds are building on the builder right now. */
  ownBuilding: () => ReadonlySet<string>;
  /** Where a failed poll is reported (the app log). */
  logs: LogSink;
  intervalMs?: number;
  now?: () => number;
}

export class ExternalBuildWatcher {
  private current: ExternalBuild[] = [];
  private readonly firstSeen = new Map<string, number>();
  private readonly listeners = new Set<(builds: ExternalBuild[]) => void>();
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(private readonly options: ExternalBuildWatcherOptions) {
    this.timer = setInterval(
      () => inBackground(this.poll(), 'Looking for builds others started on the builder', (text) => options.logs.append('app', 'error', text)),
      options.intervalMs ?? 3_000,
    );
    this.timer.unref();
  }

  list(): ExternalBuild[] {
    return this.current;
  }

  onChange(listener: (builds: ExternalBuild[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One look at the guest; also called by the timer. */
  async poll(): Promise<ExternalBuild[]> {
    if (this.polling) return this.current;
    this.polling = true;
    try {
      let next: ExternalBuild[] = [];
      if (this.options.builderReady()) {
        const answer = await this.options.exec(GUEST_BUILD_DIRS_COMMAND).catch(() => null);
        if (answer && answer.code === 0) {
          const own = this.options.ownBuilding();
          const now = (this.options.now ?? Date.now)();
          next = parseGuestBuildDirs(answer.stdout)
            .filter((build) => !own.has(build.name))
            .map((build) => ({ ...build, firstSeenAt: this.firstSeen.get(build.directory) ?? now }));
        }
      }
      this.firstSeen.clear();
      for (const build of next) this.firstSeen.set(build.directory, build.firstSeenAt);
      if (JSON.stringify(next) !== JSON.stringify(this.current)) {
        this.current = next;
        for (const listener of this.listeners) listener(next);
      }
      return this.current;
    } finally {
      this.polling = false;
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.listeners.clear();
  }
}

/**
 * The last finished builds (200 by default), kept across restarts in `<state>/builds.json`:
 * written atomically with mode 0600. A file that is not valid JSON or not the expected shape is
 * moved aside (`builds.json.malformed-<time>`) and reported, never silently dropped.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BuildSummarySchema } from '../../ipc/contract.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import type { BuildSummary } from './buildRunner.js';
import { parseJsonWith } from '../util/jsonFile.js';

export const BUILD_HISTORY_FILE = 'builds.json';
export const DEFAULT_HISTORY_LIMIT = 200;

const HistoryFileSchema = z.object({ version: z.literal(1), builds: z.array(BuildSummarySchema) });

export interface LoadedHistory {
  builds: BuildSummary[];
  /** Set when a malformed file was moved aside: where it went and why. */
  movedAside: { to: string; reason: string } | null;
}

export class BuildHistory {
  private builds: BuildSummary[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly stateDir: string,
    private readonly limit = DEFAULT_HISTORY_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  get file(): string {
    return path.join(this.stateDir, BUILD_HISTORY_FILE);
  }

  /** Newest first. */
  list(): BuildSummary[] {
    return [...this.builds];
  }

  async load(): Promise<LoadedHistory> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.builds = [];
        return { builds: [], movedAside: null };
      }
      throw error;
    }
    const parsed = parseJsonWith(HistoryFileSchema, text);
    if (parsed.ok) {
      this.builds = parsed.value.builds.slice(0, this.limit);
      return { builds: this.list(), movedAside: null };
    }
    const reason = parsed.reason;
    const to = `${this.file}.malformed-${this.now()}`;
    await fs.rename(this.file, to);
    this.builds = [];
    return { builds: [], movedAside: { to, reason } };
  }

  /** Records a finished build (newest first) and returns the ids let go beyond the limit. */
  async add(summary: BuildSummary): Promise<string[]> {
    this.builds = [summary, ...this.builds.filter((build) => build.id !== summary.id)];
    const removed = this.builds.slice(this.limit).map((build) => build.id);
    this.builds = this.builds.slice(0, this.limit);
    await this.save();
    return removed;
  }

  private save(): Promise<void> {
    // Writes are serialised so an older snapshot never lands after a newer one.
    const snapshot = JSON.stringify({ version: 1, builds: this.builds }, null, 1);
    this.writing = this.writing.catch(() => undefined).then(() => writeFileAtomic(this.file, `${snapshot}\n`, { mode: 0o600 }));
    return this.writing;
  }
}

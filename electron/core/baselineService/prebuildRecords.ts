/**
 * Which baseline full builds exist: baseline -> the build that made it and its output path,
 * kept in `prebuilds.json` in the state dir so an app restart still knows what is built. A
 * record belongs to one repository, one baseline commit and one full-build command: a changed
 * command means the old output is not the build the repository now asks for.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { BuildView, PrebuildState } from '../../ipc/contract.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { parseJsonWith } from '../util/jsonFile.js';

export const PREBUILDS_FILE = 'prebuilds.json';
/** Records beyond this many (oldest first) are forgotten; their outputs stay in the store. */
const MAX_RECORDS = 500;

const RecordSchema = z.object({
  repoId: z.string(),
  sha: z.string(),
  argv: z.array(z.string()),
  buildId: z.string(),
  state: z.enum(['queued', 'building', 'built', 'failed']),
  outPath: z.string().nullable(),
  message: z.string().nullable(),
  updatedAt: z.number(),
});
export type PrebuildRecord = z.infer<typeof RecordSchema>;
const FileSchema = z.object({ version: z.literal(1), records: z.array(RecordSchema) });

export class PrebuildRecords {
  private records: PrebuildRecord[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly stateDir: string,
    private readonly now: () => number = Date.now,
  ) {}

  get file(): string {
    return path.join(this.stateDir, PREBUILDS_FILE);
  }

  /** Reads the file; a malformed one is moved aside (and said so), never silently dropped. */
  async load(): Promise<{ movedAsideTo: string | null }> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { movedAsideTo: null };
      throw error;
    }
    const parsed = parseJsonWith(FileSchema, text);
    if (parsed.ok) {
      this.records = parsed.value.records;
      return { movedAsideTo: null };
    }
    const to = `${this.file}.malformed-${this.now()}`;
    await fs.rename(this.file, to);
    return { movedAsideTo: to };
  }

  find(repoId: string, sha: string, argv: readonly string[]): PrebuildRecord | null {
    return this.records.find((record) => record.repoId === repoId && record.sha === sha && sameArgv(record.argv, argv)) ?? null;
  }

  /** Starts a record for a build just queued. */
  async started(repoId: string, sha: string, argv: readonly string[], buildId: string): Promise<void> {
    this.records = this.records.filter((record) => !(record.repoId === repoId && record.sha === sha && sameArgv(record.argv, argv)));
    this.records.push({ repoId, sha, argv: [...argv], buildId, state: 'queued', outPath: null, message: null, updatedAt: this.now() });
    this.records.splice(0, Math.max(0, this.records.length - MAX_RECORDS));
    await this.save();
  }

  /** Follows a build's view; answers whether a record changed. */
  async follow(view: BuildView): Promise<boolean> {
    const record = this.records.find((candidate) => candidate.buildId === view.id);
    if (!record) return false;
    const next = stateOf(view);
    if (next.state === record.state && next.outPath === record.outPath) return false;
    Object.assign(record, next, { updatedAt: this.now() });
    if (next.state === 'built' || next.state === 'failed') await this.save();
    return true;
  }

  forgetRepo(repoId: string): Promise<void> {
    this.records = this.records.filter((record) => record.repoId !== repoId);
    return this.save();
  }

  /** A record as the contract shows it; `exists` says whether a built output is still in the store. */
  static view(record: PrebuildRecord | null, exists: boolean): PrebuildState {
    if (!record) return { state: 'none', buildId: null, outPath: null, message: null };
    if (record.state === 'built' && !exists) {
      return { state: 'gone', buildId: record.buildId, outPath: record.outPath, message: 'The full build is no longer in the Nix store (garbage-collected?); prebuild it again.' };
    }
    return { state: record.state, buildId: record.buildId, outPath: record.outPath, message: record.message };
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify({ version: 1, records: this.records }, null, 2)}\n`;
    this.writing = this.writing.catch(() => undefined).then(() => writeFileAtomic(this.file, text, { mode: 0o600 }));
    return this.writing;
  }
}

function stateOf(view: BuildView): Pick<PrebuildRecord, 'state' | 'outPath' | 'message'> {
  switch (view.state) {
    case 'waiting-for-builder':
      return { state: 'queued', outPath: null, message: 'waiting for the builder' };
    case 'running':
      return { state: 'building', outPath: null, message: null };
    case 'succeeded':
      return { state: 'built', outPath: view.outputPaths[0] ?? null, message: null };
    case 'failed':
      return { state: 'failed', outPath: null, message: view.error ?? 'the full build failed; its log is in the build queue' };
    case 'cancelled':
      return { state: 'failed', outPath: null, message: 'the full build was cancelled' };
  }
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/**
 * The git processes a baseline engine keeps running between computations (longLivedGit.ts): a
 * `cat-file --batch-command` for where branches point and what they gained (movedTips.ts), and
 * a `diff-tree --stdin` for files changed. Started once a computation has answered (starting a
 * process blocks node for a few ms) and warmed with the questions the next computation asks;
 * stopped with the engine, and when its graph is reset (the processes read replace refs when
 * they started). Whatever is not running, the engine does with one-shot processes.
 */
import { CatFileBatch } from './catFileBatch.js';
import { readFilesChanged } from './commitDetails.js';
import { DiffTreeBatch } from './diffTreeBatch.js';
import type { GitRunner } from './gitRunner.js';
import type { LongLivedGitOptions } from './longLivedGit.js';
import { tipNames } from './movedTips.js';
import type { TrackedTip } from './repoRefs.js';

export class RunningGit {
  private catFileProcess: CatFileBatch | null = null;
  private diffTreeProcess: DiffTreeBatch | null = null;
  private stopped = false;

  constructor(
    private readonly git: GitRunner,
    private readonly options: LongLivedGitOptions = {},
  ) {}

  /** The running cat-file, or null. */
  get catFile(): CatFileBatch | null {
    return this.catFileProcess?.alive ? this.catFileProcess : null;
  }

  /** Files changed for each pair: from the running diff-tree, or a one-shot one when it is not running or fails. */
  async filesChanged(pairs: readonly { tip: string; baseline: string }[]): Promise<number[]> {
    const running = this.diffTreeProcess?.alive ? this.diffTreeProcess : null;
    return running ? running.filesChanged(pairs).catch(() => readFilesChanged(this.git, pairs)) : readFilesChanged(this.git, pairs);
  }

  /** Starts whatever is not running, after the current turn of the event loop; `tips`: the latest computation's. */
  startSoon(tips: readonly TrackedTip[]): void {
    if (this.stopped || (this.catFileProcess?.alive && this.diffTreeProcess?.alive)) return;
    setImmediate(() => {
      if (this.stopped) return;
      const repoPath = this.git.repoPath;
      const options = { git: this.git.git, ...this.options };
      // The questions the next computation asks, asked once now: git then has its refs and
      // pack index open, and the first real answer does not pay for that.
      if (!this.catFileProcess?.alive) {
        this.catFileProcess = startOrNull(() => new CatFileBatch(repoPath, options));
        if (tips.length > 0) this.catFileProcess?.info(tipNames(tips)).catch(() => undefined);
      }
      if (!this.diffTreeProcess?.alive) {
        this.diffTreeProcess = startOrNull(() => new DiffTreeBatch(repoPath, options));
        const [first] = tips;
        if (first) this.diffTreeProcess?.filesChanged([{ tip: first.tip, baseline: first.tip }]).catch(() => undefined);
      }
    });
  }

  /** Stops what runs; `startSoon` starts it again (after a reset), unless `final`. */
  stop(final = false): void {
    if (final) this.stopped = true;
    this.catFileProcess?.close();
    this.catFileProcess = null;
    this.diffTreeProcess?.close();
    this.diffTreeProcess = null;
  }
}

function startOrNull<T>(start: () => T): T | null {
  try {
    return start();
  } catch {
    return null;
  }
}

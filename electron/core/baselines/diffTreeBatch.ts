/**
 * A running `git diff-tree --stdin` (longLivedGit.ts) for the files changed between a baseline
 * and its tip: after a ref moves, the count is asked of it instead of starting a process. The
 * diff options are the one-shot reader's (commitDetails.ts), so the counts are the same.
 *
 * diff-tree reads "<tip> <baseline>" lines; each pair prints a header (`/<tip>`, NUL), and when
 * paths differ a newline and each path ending in NUL. A line that is not an object id it copies
 * to its output and then flushes: every question ends with `/end`, which closes the answer
 * where no path or header can be mistaken for it (paths never start with a slash, and `n` is
 * not a hex digit). A pair whose tip git cannot read prints nothing, which the header count
 * then shows at once; a baseline it cannot read ends the process.
 */
import { filesChangedOptions } from './commitDetails.js';
import { LongLivedGit, type AnswerReader, type LongLivedGitOptions } from './longLivedGit.js';

const objectId = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export class DiffTreeBatch {
  private readonly process: LongLivedGit;

  constructor(repoPath: string, options: LongLivedGitOptions = {}) {
    this.process = new LongLivedGit(repoPath, 'diff-tree --stdin', ['diff-tree', '--stdin', ...filesChangedOptions, '--format=tformat:/%H'], options);
  }

  get alive(): boolean {
    return this.process.alive;
  }

  /** `git diff --no-renames --name-only baseline tip | wc -l` for every pair, in pair order. */
  filesChanged(pairs: readonly { tip: string; baseline: string }[]): Promise<number[]> {
    if (pairs.length === 0) return Promise.resolve([]);
    for (const pair of pairs) if (!objectId.test(pair.tip) || !objectId.test(pair.baseline)) return Promise.reject(new Error(`not a pair of commit ids: ${JSON.stringify(pair)}`));
    const input = pairs.map((pair) => `${pair.tip} ${pair.baseline}\n`).join('') + `${endMarker}`;
    return this.process.ask(input, new FilesChangedReader(pairs.map((pair) => pair.tip)));
  }

  close(): void {
    this.process.close();
  }
}

const endMarker = '/end\n';
const slash = 47;
const newline = 10;

class FilesChangedReader implements AnswerReader<number[]> {
  private readonly counts: number[];
  /** Headers read so far. */
  private headers = 0;
  /** Right after a header, where a newline opens its paths. */
  private afterHeader = false;
  private done = false;

  /** `tips`: each pair's tip, which its header names. */
  constructor(private readonly tips: readonly string[]) {
    this.counts = new Array<number>(tips.length).fill(0);
  }

  read(buffer: Buffer, start: number): number {
    let offset = start;
    while (!this.done && offset < buffer.length) {
      if (this.afterHeader && buffer[offset] === newline) {
        offset += 1;
        this.afterHeader = false;
        continue;
      }
      this.afterHeader = false;
      if (buffer[offset] === slash && buffer.length - offset >= 3 && buffer.toString('latin1', offset, offset + 3) === '/en') {
        if (buffer.length - offset < endMarker.length) break;
        if (buffer.toString('latin1', offset, offset + endMarker.length) !== endMarker || this.headers !== this.tips.length) throw unexpected(buffer, offset, offset + endMarker.length);
        this.done = true;
        return offset + endMarker.length;
      }
      if (buffer[offset] === slash && buffer.length - offset < 3) break;
      const end = buffer.indexOf(0, offset);
      if (end === -1) break;
      if (buffer[offset] === slash) {
        if (buffer.toString('latin1', offset + 1, end) !== this.tips[this.headers]) throw unexpected(buffer, offset, end);
        this.headers += 1;
        this.afterHeader = true;
      } else if (this.headers >= 1) {
        this.counts[this.headers - 1] = (this.counts[this.headers - 1] as number) + 1;
      } else {
        throw unexpected(buffer, offset, end);
      }
      offset = end + 1;
    }
    return offset;
  }

  result(): number[] | undefined {
    return this.done ? this.counts : undefined;
  }
}

function unexpected(buffer: Buffer, start: number, end: number): Error {
  return new Error(`unexpected git diff-tree answer: ${JSON.stringify(buffer.toString('utf8', start, Math.min(end, start + 200)))}`);
}

/**
 * A running `git cat-file --batch-command` (longLivedGit.ts): after a ref moves, the engine asks
 * it where the branches point and for the new commits (movedTips.ts) instead of starting a
 * `git rev-list`, and which new tips are commits instead of for-each-ref looking up each ref's
 * type (repoRefs.ts). Its answers are only ever a head start: for-each-ref stays the truth.
 *
 * Names go in one per line: full ref names or object ids, which cannot hold a newline.
 * `core.warnAmbiguousRefs=false` lets git resolve a full ref name with one lookup instead of
 * trying it under every prefix (the names asked are never ambiguous). A git older than 2.36
 * has no `--batch-command`: the process exits and the engine does without.
 */
import { LongLivedGit, type AnswerReader, type LongLivedGitOptions } from './longLivedGit.js';

export interface BatchInfo {
  sha: string;
  type: string;
}

export interface BatchObject extends BatchInfo {
  content: Buffer;
}

export class CatFileBatch {
  private readonly process: LongLivedGit;

  constructor(repoPath: string, options: LongLivedGitOptions = {}) {
    this.process = new LongLivedGit(repoPath, 'cat-file --batch-command', ['-c', 'core.warnAmbiguousRefs=false', 'cat-file', '--batch-command'], options);
  }

  get alive(): boolean {
    return this.process.alive;
  }

  /** Id and type of the objects `names` name, in order; null for a name git cannot resolve. */
  info(names: readonly string[]): Promise<(BatchInfo | null)[]> {
    return this.ask('info', names);
  }

  /** The objects `names` name, with their content, in order; null for a name git cannot resolve. */
  contents(names: readonly string[]): Promise<(BatchObject | null)[]> {
    return this.ask('contents', names);
  }

  close(): void {
    this.process.close();
  }

  private ask(command: 'info' | 'contents', names: readonly string[]): Promise<(BatchObject | null)[]> {
    if (names.length === 0) return Promise.resolve([]);
    for (const name of names) if (name === '' || /[\n\r\0]/.test(name)) return Promise.reject(new Error(`not an object name: ${JSON.stringify(name)}`));
    return this.process.ask(names.map((name) => `${command} ${name}\n`).join(''), new BatchReader(names.length, command === 'contents'));
  }
}

/** Answers are `<sha> <type> <size>\n`, then for `contents` the object and `\n`; or `<name> missing\n` (or `ambiguous`). */
class BatchReader implements AnswerReader<(BatchObject | null)[]> {
  private readonly answers: (BatchObject | null)[] = [];

  constructor(
    private readonly expected: number,
    private readonly withContent: boolean,
  ) {}

  read(buffer: Buffer, start: number): number {
    let offset = start;
    while (this.answers.length < this.expected) {
      const lineEnd = buffer.indexOf(10, offset);
      if (lineEnd === -1) break;
      const header = buffer.toString('latin1', offset, lineEnd);
      const object = /^([0-9a-f]{40}|[0-9a-f]{64}) ([a-z]+) ([0-9]+)$/.exec(header);
      let next = lineEnd + 1;
      if (object) {
        const size = this.withContent ? Number(object[3]) : 0;
        if (this.withContent && buffer.length < next + size + 1) break;
        this.answers.push({ sha: object[1] as string, type: object[2] as string, content: Buffer.from(buffer.subarray(next, next + size)) });
        if (this.withContent) next += size + 1;
      } else if (/ (?:missing|ambiguous)$/.test(header)) {
        // The name as asked, then the verdict (a name may hold spaces, though no branch can).
        this.answers.push(null);
      } else {
        throw new Error(`unexpected git cat-file answer: ${header.slice(0, 200)}`);
      }
      offset = next;
    }
    return offset;
  }

  result(): (BatchObject | null)[] | undefined {
    return this.answers.length === this.expected ? this.answers : undefined;
  }
}

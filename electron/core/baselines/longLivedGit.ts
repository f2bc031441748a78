/**
 * A git process kept running between an engine's computations, asked questions on stdin and
 * answering on stdout in order: `cat-file --batch-command` (catFileBatch.ts) and `diff-tree
 * --stdin` (diffTreeBatch.ts). Starting a process costs this machine 7-15 ms from node, most of
 * it with node blocked in fork; a question to a running git is answered in well under a
 * millisecond, so after a ref moves the engine starts one new process (for-each-ref) instead of
 * three.
 *
 * Questions are written as lines (never as arguments). The process exits after `idleMs`
 * without a question, when it does not answer within `timeoutMs` or answers something its
 * reader does not expect, on `close()`, and by itself when Builder Bar exits (its stdin closes);
 * `alive` then says false, what was asked fails, and the engine goes back to one-shot processes.
 */
import type { Readable, Writable } from 'node:stream';
import { execa } from 'execa';
import { gitEnvironment } from './gitRunner.js';

/** Reads one question's answer from stdout as it arrives. */
export interface AnswerReader<T> {
  /** Consumes what it can of `buffer` from `offset` and returns where it stopped; throws on what git never answers. */
  read(buffer: Buffer, offset: number): number;
  /** The answer once complete, else undefined. */
  result(): T | undefined;
}

export interface LongLivedGitOptions {
  git?: string;
  /** Exits after this long without a question (ms). */
  idleMs?: number;
  /** A question not answered within this long kills the process (ms). */
  timeoutMs?: number;
}

interface Question {
  reader: AnswerReader<unknown>;
  resolve: (answer: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class LongLivedGit {
  private readonly stdin: Writable;
  private readonly kill: () => void;
  private readonly questions: Question[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private dead = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly idleMs: number;
  private readonly timeoutMs: number;

  /** `name`: how errors call it (`cat-file --batch-command`). */
  constructor(
    repoPath: string,
    private readonly name: string,
    args: readonly string[],
    options: LongLivedGitOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 10 * 60_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    // GIT_NO_LAZY_FETCH: a partial clone must not reach for the network to answer a question.
    const child = execa(options.git ?? 'git', ['-C', repoPath, ...args], {
      env: { ...gitEnvironment(), GIT_NO_LAZY_FETCH: '1' },
      extendEnv: false,
      reject: false,
      buffer: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'ignore',
    });
    if (!child.stdin || !child.stdout) throw new Error(`git ${this.name} started without pipes`);
    this.stdin = child.stdin;
    const stdout: Readable = child.stdout;
    this.kill = () => child.kill();
    child.then(
      () => this.fail(new Error(`git ${this.name} exited`)),
      (error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))),
    );
    this.stdin.on('error', (error) => this.fail(error));
    stdout.on('data', (chunk: Buffer) => this.take(chunk));
    // A process waiting for questions must not keep Builder Bar (or a test run) from exiting.
    child.unref();
    unrefStream(this.stdin);
    unrefStream(stdout);
    this.armIdleTimer();
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Writes `input` and resolves with what `reader` reads of the answer. */
  ask<T>(input: string, reader: AnswerReader<T>): Promise<T> {
    if (this.dead) return Promise.reject(new Error(`git ${this.name} is not running`));
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`git ${this.name} did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.questions.push({ reader, resolve: resolve as (answer: unknown) => void, reject, timer });
      this.stdin.write(input);
    });
  }

  close(): void {
    this.fail(new Error(`git ${this.name} was closed`));
  }

  private take(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let offset = 0;
    while (!this.dead && this.questions.length > 0) {
      const question = this.questions[0] as Question;
      try {
        offset = question.reader.read(this.buffered, offset);
      } catch (error) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      const answer = question.reader.result();
      if (answer === undefined) break;
      this.questions.shift();
      clearTimeout(question.timer);
      question.resolve(answer);
    }
    if (this.dead) return;
    if (this.questions.length === 0 && offset < this.buffered.length) {
      this.fail(new Error(`git ${this.name} said more than was asked: ${this.buffered.toString('utf8', offset, offset + 200)}`));
      return;
    }
    this.buffered = offset >= this.buffered.length ? Buffer.alloc(0) : this.buffered.subarray(offset);
    if (this.questions.length === 0) this.armIdleTimer();
  }

  private armIdleTimer(): void {
    if (this.dead || this.idleTimer) return;
    this.idleTimer = setTimeout(() => this.close(), this.idleMs);
    this.idleTimer.unref();
  }

  private fail(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const question of this.questions.splice(0)) {
      clearTimeout(question.timer);
      question.reject(error);
    }
    this.kill();
  }
}

function unrefStream(stream: Readable | Writable): void {
  (stream as { unref?: () => void }).unref?.();
}

/**
 * Runs git for the baseline engine: always an argument array (never a shell), always against
 * one repository with `-C`, and with the environment variables that would point git at some
 * other repository removed (a Builder Bar started from a git hook inherits `GIT_DIR`).
 */
import { execa } from 'execa';

/** Variables that make git read another repository or index than the one asked for. */
const repositoryLocatingVariables = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_COMMON_DIR',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_CEILING_DIRECTORIES',
  'GIT_DISCOVERY_ACROSS_FILESYSTEM',
];

export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class GitFailure extends Error {
  readonly exitCode: number | null;
  constructor(message: string, exitCode: number | null) {
    super(message);
    this.name = 'GitFailure';
    this.exitCode = exitCode;
  }
}

/**
 * git's environment: no lock taken for a read, never a prompt, none of the variables that would
 * point it at another repository, and its messages in English. Builder Bar reads git's words
 * ("detected dubious ownership", "Permission denied") to say what is wrong; with LANGUAGE=de
 * git says "dubiose Besitzverhältnisse" and the user got "not a git work tree, run git init".
 * The C locale changes only the messages: output bytes (names, subjects) are passed through.
 */
export function gitEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  // gettext reads LANGUAGE before LC_ALL unless the locale is exactly C; glibc's C.UTF-8 is not.
  delete env.LANGUAGE;
  for (const name of repositoryLocatingVariables) delete env[name];
  return env;
}

export class GitRunner {
  constructor(
    readonly repoPath: string,
    readonly git: string = 'git',
  ) {}

  /** Runs `git -C <repo> ...args`; never throws for a non-zero exit (the caller decides). */
  async run(args: readonly string[], input?: string): Promise<GitResult> {
    try {
      const result = await execa(this.git, ['-C', this.repoPath, ...args], {
        reject: false,
        env: gitEnvironment(),
        extendEnv: false,
        input: input ?? '',
        stripFinalNewline: false,
        maxBuffer: 1_000_000_000,
        timeout: 600_000,
      });
      if (result.failed && typeof result.exitCode !== 'number') {
        throw new GitFailure(`could not run ${this.git}: ${result.shortMessage ?? result.message}`, null);
      }
      return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
    } catch (error) {
      if (error instanceof GitFailure) throw error;
      throw new GitFailure(`could not run ${this.git}: ${error instanceof Error ? error.message : String(error)}`, null);
    }
  }

  /** Like `run`, but a non-zero exit becomes a GitFailure carrying git's own words. */
  async ok(args: readonly string[], input?: string): Promise<string> {
    const result = await this.run(args, input);
    if (result.exitCode !== 0) throw failureOf(args, result);
    return result.stdout;
  }

  /**
   * Like `run`, but stdout is handed to `onLines` in pieces that end at a line end while git
   * still writes, so parsing a long answer overlaps git's own work instead of following it.
   * The returned stdout is empty: every byte went to `onLines`. A throw from `onLines` stops
   * git and is thrown here.
   */
  async runLines(args: readonly string[], input: string, onLines: (text: string) => void): Promise<GitResult> {
    let rest = '';
    let failure: { error: unknown } | null = null;
    const feed = (text: string): void => {
      if (failure !== null || text === '') return;
      try {
        onLines(text);
      } catch (error) {
        failure = { error };
      }
    };
    let result;
    try {
      const child = execa(this.git, ['-C', this.repoPath, ...args], { reject: false, env: gitEnvironment(), extendEnv: false, input, buffer: { stdout: false }, timeout: 600_000 });
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        const text = rest + chunk;
        const end = text.lastIndexOf('\n');
        if (end === -1) {
          rest = text;
          return;
        }
        rest = text.slice(end + 1);
        feed(text.slice(0, end + 1));
        if (failure !== null) child.kill();
      });
      result = await child;
    } catch (error) {
      throw new GitFailure(`could not run ${this.git}: ${error instanceof Error ? error.message : String(error)}`, null);
    }
    if (failure === null && result.failed && typeof result.exitCode !== 'number') {
      throw new GitFailure(`could not run ${this.git}: ${result.shortMessage ?? result.message}`, null);
    }
    feed(rest);
    if (failure !== null) throw (failure as { error: unknown }).error;
    return { exitCode: result.exitCode ?? 1, stdout: '', stderr: String(result.stderr) };
  }

  /** `runLines`, with a non-zero exit as a GitFailure. */
  async okLines(args: readonly string[], input: string, onLines: (text: string) => void): Promise<void> {
    const result = await this.runLines(args, input, onLines);
    if (result.exitCode !== 0) throw failureOf(args, result);
  }
}

function failureOf(args: readonly string[], result: GitResult): GitFailure {
  // From git's `fatal:` line on when there is one: its advice follows it ("detected dubious
  // ownership", then the safe.directory command), and the last lines alone dropped the cause.
  const lines = result.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const fatal = lines.findIndex((line) => /^(?:fatal|error):/.test(line));
  const words = (fatal === -1 ? lines.slice(-3) : lines.slice(fatal, fatal + 4)).join(' ') || `exit code ${result.exitCode}`;
  return new GitFailure(`git ${args[0] ?? ''} failed: ${words}`, result.exitCode);
}

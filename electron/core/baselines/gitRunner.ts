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

export function gitEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' };
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
    if (result.exitCode !== 0) {
      const words = result.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${result.exitCode}`;
      throw new GitFailure(`git ${args[0] ?? ''} failed: ${words}`, result.exitCode);
    }
    return result.stdout;
  }
}

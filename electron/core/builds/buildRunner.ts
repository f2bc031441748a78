/**
 * Runs one Nix build and shows it as it happens: `nix-build <file> [-A attr]` or
 * `nix build <installable>` with `--log-format internal-json`, through execa with an argument
 * array (paths and attribute names never reach a shell), in the environment the Nix wiring
 * gives (NIX_CONF_DIR / NIX_SSHOPTS). Its stderr goes through the parser into a BuildQueue.
 *
 * - When the builder is still starting, the build waits for it (`waitForBuilderReady`) instead of
 *   racing it into "Failed to find a machine for remote build!".
 * - Cancel sends SIGINT (Nix stops its builds and remote connections cleanly), then SIGTERM and
 *   SIGKILL if it does not exit within the grace period; unfinished derivations end `cancelled`.
 * - On exit nothing stays waiting or building: the queue marks leftovers failed with the exit
 *   code and Nix's last error.
 * - The queue's notes (what Nix waits for; an activity or result type from a newer Nix, as
 *   "unknown activity type 115: …") join Nix's own lines, so the build's log shows them.
 * - Nix runs by the absolute path the caller resolved (the `nixBinDir` setting, see
 *   nix/nixInstallation.ts); a bare `nix-build` from PATH is only the fallback for callers that
 *   name none.
 */
import { execa } from 'execa';
import type { BuildTargetView } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import { ActivityStreamParser, type ActivityEvent } from './activityParser.js';
import { BuildQueue, type BuildProgress, type BuildQueueChange, type DerivationEntry, type DerivationState } from './buildQueue.js';
import { shownDerivations } from './shownDerivations.js';

export type BuildTarget =
  /** A Nix file; `args` are extra argument-array items such as `--argstr name value`. */
  | { kind: 'file'; file: string; attr?: string; args?: string[] }
  /** A flake or `nix build` installable (`nixpkgs#hello`, `.#pkg`, `/nix/store/…drv^*`). */
  | { kind: 'installable'; installable: string; args?: string[] }
  /** A baseline's full build: the tracked repository's own command, placeholders replaced. */
  | Extract<BuildTargetView, { kind: 'baseline' }>;

export type BuildRunState = 'waiting-for-builder' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface DerivationSummary {
  drvPath: string;
  name: string;
  state: DerivationState;
  machine: string;
  phase: string | null;
  reason: string | null;
  startedAt: number | null;
  endedAt: number | null;
}

/** A queue entry without its log lines: what a summary or a view carries. */
export function derivationSummary({ drvPath, name, state, machine, phase, reason, startedAt, endedAt }: DerivationEntry): DerivationSummary {
  return { drvPath, name, state, machine, phase, reason, startedAt, endedAt };
}

export interface BuildSummary {
  id: string;
  target: BuildTarget;
  state: Exclude<BuildRunState, 'waiting-for-builder' | 'running'>;
  createdAt: number;
  endedAt: number;
  exitCode: number | null;
  signal: string | null;
  /** Why it failed, in words (null when it succeeded). */
  error: string | null;
  derivations: DerivationSummary[];
  /** Derivations left out of `derivations` (shownDerivations.ts); absent in builds kept before. */
  derivationsNotShown?: number;
  progress: BuildProgress;
  /** What Nix printed on stdout: the output paths. */
  outputPaths: string[];
}

export interface BuildRunnerOptions {
  /** Merged over the process environment (the wiring's NIX_CONF_DIR, NIX_SSHOPTS). */
  env: Record<string, string>;
  /** Resolves when the builder can take builds; the core passes the supervisor's. */
  waitForBuilderReady?: () => Promise<void>;
  /** SIGINT -> SIGTERM -> SIGKILL, each after this long. */
  cancelGraceMs?: number;
  /** Lines of Nix's own output (not a derivation's log) kept for the build's log view. */
  maxNixLines?: number;
  /** Each of Nix's own lines as it arrives (its ANSI colours kept), for the build's log stream. */
  onNixLine?: (line: string, level: 'error' | 'warn' | 'info' | 'debug') => void;
  now?: () => number;
  /** For tests and odd installs: the executables (defaults from PATH). */
  nixBuildCommand?: string;
  nixCommand?: string;
}

export interface BuildRun {
  readonly id: string;
  readonly target: BuildTarget;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly queue: BuildQueue;
  state(): BuildRunState;
  /** Nix's own lines (messages and plain text), ANSI stripped, bounded. */
  nixLines(): string[];
  onState(listener: (state: BuildRunState) => void): () => void;
  cancel(): void;
  /** Resolves when the build has ended, whatever the outcome; never rejects. */
  readonly summary: Promise<BuildSummary>;
}

/**
 * The output paths a build printed on stdout: `nix-build` prints one per line, `nix build --json`
 * an array of `{ drvPath, outputs: { name: path } }` (the same in Nix 2.8 and 2.34).
 */
export function outputPathsOf(stdout: string): string[] {
  const text = stdout.trim();
  if (text.startsWith('[')) {
    try {
      const built = JSON.parse(text) as unknown;
      if (Array.isArray(built)) {
        return built.flatMap((entry: unknown) => {
          const outputs = typeof entry === 'object' && entry !== null ? (entry as { outputs?: unknown }).outputs : undefined;
          return typeof outputs === 'object' && outputs !== null ? Object.values(outputs).filter((value): value is string => typeof value === 'string' && value.startsWith('/')) : [];
        });
      }
    } catch {
      // Not JSON after all: read it as lines below.
    }
  }
  return text.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('/'));
}

/** The argument array for a target; exported so the CLI and tests can show the exact command. */
export function buildCommand(target: BuildTarget, options: Pick<BuildRunnerOptions, 'nixBuildCommand' | 'nixCommand'> = {}): { command: string; args: string[] } {
  if (target.kind === 'baseline') return baselineCommand(target.argv, options);
  if (target.kind === 'file') {
    return {
      command: options.nixBuildCommand ?? 'nix-build',
      args: [target.file, ...(target.attr ? ['-A', target.attr] : []), ...(target.args ?? []), '--no-out-link', '--log-format', 'internal-json'],
    };
  }
  return {
    command: options.nixCommand ?? 'nix',
    args: [
      '--extra-experimental-features',
      'nix-command flakes',
      'build',
      target.installable,
      ...(target.args ?? []),
      '--no-link',
      // --json, not --print-out-paths: the latter arrived in Nix 2.9, and 2.8 stops at it.
      '--json',
      '--log-format',
      'internal-json',
    ],
  };
}

/**
 * A tracked repository's full-build argv (`nix-build …` or `nix build …`) with the options the
 * queue needs to follow it appended, the same ones a client's target gets.
 */
function baselineCommand(argv: readonly string[], options: Pick<BuildRunnerOptions, 'nixBuildCommand' | 'nixCommand'>): { command: string; args: string[] } {
  const [program, ...rest] = argv;
  if (program === 'nix-build') {
    return { command: options.nixBuildCommand ?? 'nix-build', args: [...rest, '--no-out-link', '--log-format', 'internal-json'] };
  }
  if (program === 'nix' && rest[0] === 'build') {
    return {
      command: options.nixCommand ?? 'nix',
      args: ['--extra-experimental-features', 'nix-command flakes', ...rest, '--no-link', '--json', '--log-format', 'internal-json'],
    };
  }
  throw new BuilderBarError('invalid-settings', `A full-build command must start with "nix-build" or "nix build"; this one starts with ${JSON.stringify(argv.slice(0, 2).join(' '))}.`, 'Change the repository\'s full-build command in the Baselines panel.');
}

let counter = 0;

function newBuildId(now: number): string {
  counter += 1;
  return `build-${now.toString(36)}-${counter.toString(36)}-${process.pid.toString(36)}`;
}

export function startBuild(target: BuildTarget, options: BuildRunnerOptions): BuildRun {
  const now = options.now ?? Date.now;
  const createdAt = now();
  const id = newBuildId(createdAt);
  const queue = new BuildQueue({ now });
  const graceMs = options.cancelGraceMs ?? 10_000;
  const maxNixLines = options.maxNixLines ?? 500;
  const lines: string[] = [];
  const listeners = new Set<(state: BuildRunState) => void>();
  let current: BuildRunState = options.waitForBuilderReady ? 'waiting-for-builder' : 'running';
  let cancelRequested = false;
  let requestKill: (() => void) | null = null;
  // A cancel while waiting for the builder must end the build now, not when the builder is ready.
  let cancelledWhileWaiting: () => void = () => undefined;
  const cancelWhileWaiting = new Promise<'cancelled'>((resolve) => {
    cancelledWhileWaiting = () => resolve('cancelled');
  });

  const moveTo = (state: BuildRunState): void => {
    current = state;
    for (const listener of listeners) listener(state);
  };
  const keepLine = (line: string): void => {
    lines.push(line);
    if (lines.length > maxNixLines) lines.splice(0, lines.length - maxNixLines);
  };
  const onEvent = (event: ActivityEvent): void => {
    if (event.kind === 'plain' && event.text !== '') {
      keepLine(event.text);
      options.onNixLine?.(event.text, 'info');
    }
    if (event.kind === 'msg') {
      keepLine(event.text);
      // Nix's verbosity: 0 error, 1 warn, 2 notice, 3 info, 4 and above talkative to vomit.
      options.onNixLine?.(event.raw, event.level === 0 ? 'error' : event.level === 1 ? 'warn' : event.level <= 3 ? 'info' : 'debug');
    }
    queue.apply(event);
  };
  queue.onChange((change) => {
    if (change.type !== 'note') return;
    keepLine(change.note.text);
    options.onNixLine?.(change.note.text, change.note.level);
  });
  const summarise = (state: BuildSummary['state'], exitCode: number | null, signal: string | null, error: string | null, outputPaths: string[]): BuildSummary => ({
    id,
    target,
    state,
    createdAt,
    endedAt: now(),
    exitCode,
    signal,
    error,
    ...shownDerivations(queue.derivations().map(derivationSummary)),
    progress: queue.progress(),
    outputPaths,
  });

  const run = async (): Promise<BuildSummary> => {
    if (options.waitForBuilderReady) {
      try {
        await Promise.race([options.waitForBuilderReady(), cancelWhileWaiting]);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        moveTo('failed');
        return summarise('failed', null, null, `The builder did not become ready: ${message}`, []);
      }
      if (cancelRequested) {
        moveTo('cancelled');
        return summarise('cancelled', null, null, 'Cancelled by the user before it started.', []);
      }
      moveTo('running');
    }
    const { command, args } = buildCommand(target, options);
    const child = execa(command, args, {
      env: options.env,
      extendEnv: true,
      stdin: 'ignore',
      buffer: false,
      reject: false,
      // Our own SIGINT -> SIGTERM -> SIGKILL ladder below; execa's would skip the SIGINT step.
      forceKillAfterDelay: false,
    });
    const timers: NodeJS.Timeout[] = [];
    requestKill = () => {
      child.kill('SIGINT');
      timers.push(setTimeout(() => child.kill('SIGTERM'), graceMs));
      timers.push(setTimeout(() => child.kill('SIGKILL'), 2 * graceMs));
    };
    if (cancelRequested) requestKill();
    const parser = new ActivityStreamParser();
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const event of parser.push(chunk)) onEvent(event);
    });
    let stdout = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
    });
    const result = await child;
    for (const timer of timers) clearTimeout(timer);
    for (const event of parser.end()) onEvent(event);
    const exitCode = typeof result.exitCode === 'number' ? result.exitCode : null;
    const signal = result.signal ?? null;
    const outputPaths = outputPathsOf(stdout);
    queue.finish({ exitCode, signal, cancelled: cancelRequested });
    if (cancelRequested) {
      moveTo('cancelled');
      return summarise('cancelled', exitCode, signal, 'Cancelled by the user.', outputPaths);
    }
    if (exitCode === 0) {
      moveTo('succeeded');
      return summarise('succeeded', exitCode, signal, null, outputPaths);
    }
    const why = queue.lastError() ?? lines[lines.length - 1] ?? (result.failed && 'shortMessage' in result ? String(result.shortMessage) : null);
    const exit = signal ? `Nix was ended by ${signal}` : `Nix exited with code ${exitCode ?? 'unknown'}`;
    moveTo('failed');
    return summarise('failed', exitCode, signal, why ? `${exit}: ${why}` : `${exit}.`, outputPaths);
  };

  const summary = run();
  return {
    id,
    target,
    createdAt,
    queue,
    state: () => current,
    nixLines: () => [...lines],
    onState: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    cancel: () => {
      if (cancelRequested || current === 'succeeded' || current === 'failed' || current === 'cancelled') return;
      cancelRequested = true;
      queue.markCancelling();
      cancelledWhileWaiting();
      requestKill?.();
    },
    summary,
  };
}

export type { BuildQueueChange };

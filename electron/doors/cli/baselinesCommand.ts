/**
 * `builder-bar baselines <repo> [--interval S] [--now EPOCH] [--time-source SOURCE]
 * [--branches PATTERN] [--json]`: every branch's incremental baseline (FACTS.md section 3),
 * computed here by the same engine the core uses. Runs without a core: it only reads the
 * repository.
 */
import path from 'node:path';
import { assertGitWorkTree, BRANCH_PATTERN_HINT, branchPatternProblem, RepoBaselineEngine, type ComputedBranchBaseline, type ComputedRepoBaselines } from '../../core/baselines/index.js';
import { BuilderBarError, toErrorInfo } from '../../core/errors.js';
import type { BaselineTimeSource } from '../../ipc/baselinesContract.js';
import { exitCodeFor, printError, type CommandContext } from './cliIo.js';
import { ExitCode } from './exitCodes.js';
import { printable } from './terminalText.js';
import { noBranchesWords } from '../../ipc/describeNoBranches.js';

export const defaultIntervalSeconds = 86_400;

/** One branch as `--json` prints it: the baseline flattened to `baseline` (its sha) and `baseline*` fields. */
export interface BaselineJsonEntry {
  branch: string;
  detached: boolean;
  tip: string;
  tipCommitTime: number;
  time: number;
  boundary: number;
  nextRollover: number;
  baseline: string;
  baselineSubject: string;
  baselineCommitTime: number;
  baselineAuthorTime: number;
  rootFallback: boolean;
  offFirstParent: boolean;
  commitsSince: number;
  filesChanged: number;
  sharedWith: string[];
  sharedCount: number;
  warnings: string[];
}

export async function runBaselinesCommand({ io, values, operands }: CommandContext): Promise<number> {
  const repoPath = path.resolve(process.cwd(), operands[0] as string);
  const intervalSeconds = typeof values.interval === 'number' ? values.interval : defaultIntervalSeconds;
  const now = typeof values.now === 'number' ? values.now : Math.floor(Date.now() / 1000);
  const timeSource: BaselineTimeSource = values['time-source'] === 'tip-commit' ? 'tip-commit' : 'wall-clock';
  const branchPattern = typeof values.branches === 'string' ? values.branches : null;
  const patternProblem = branchPattern === null ? null : branchPatternProblem(branchPattern);
  if (patternProblem !== null) {
    io.err(`Error: --branches ${JSON.stringify(branchPattern)} ${patternProblem}.`);
    io.err(`Hint: ${BRANCH_PATTERN_HINT}`);
    return ExitCode.usage;
  }
  try {
    await assertGitWorkTree(repoPath);
  } catch (error) {
    const info = toErrorInfo(error);
    printError(io, info);
    return error instanceof BuilderBarError ? exitCodeFor(info) : ExitCode.failed;
  }
  const result = await new RepoBaselineEngine(repoPath).compute({ intervalSeconds, timeSource, branchPattern, now });
  if (result.state !== 'ok') {
    io.err(`Error: ${result.message ?? `the repository is ${result.state}`}`);
    return ExitCode.failed;
  }
  if (values.json === true) io.out(JSON.stringify(result.branches.map(toJsonEntry), null, 2));
  else for (const line of formatBaselines(repoPath, result, { intervalSeconds, timeSource, now, branchPattern })) io.out(line);
  return ExitCode.ok;
}

export function toJsonEntry(entry: ComputedBranchBaseline): BaselineJsonEntry {
  const { baseline, ...rest } = entry;
  return {
    ...rest,
    baseline: baseline.sha,
    baselineSubject: baseline.subject,
    baselineCommitTime: baseline.commitTime,
    baselineAuthorTime: baseline.authorTime,
  };
}

/** How many of the other branches a full build serves the text names before counting the rest. */
const SHARED_NAMES_SHOWN = 10;

export function formatBaselines(repoPath: string, result: ComputedRepoBaselines, query: { intervalSeconds: number; timeSource: BaselineTimeSource; now: number; branchPattern?: string | null }): string[] {
  const lines: string[] = [];
  const source = query.timeSource === 'tip-commit' ? "each tip's committer time" : `the clock, ${utc(query.now)}`;
  lines.push(`Baselines in ${printable(repoPath)}: interval ${duration(query.intervalSeconds)}, T from ${source}${result.shallow ? ', shallow clone' : ''}`);
  if (result.branches.length === 0) {
    lines.push(noBranchesWords(query.branchPattern ?? null));
  }
  for (const entry of result.branches) {
    lines.push('');
    lines.push(`${printable(entry.branch)}${entry.detached ? ' (detached HEAD)' : ''}  tip ${entry.tip.slice(0, 12)}`);
    lines.push(`  baseline   ${entry.baseline.sha.slice(0, 12)} ${printable(entry.baseline.subject)}`);
    lines.push(`             committed ${utc(entry.baseline.commitTime)}${entry.rootFallback ? '  (root-commit fallback)' : ''}`);
    lines.push(`  boundary   ${utc(entry.boundary)}  (${local(entry.boundary)} local)`);
    lines.push(`  since      ${entry.commitsSince} commit${entry.commitsSince === 1 ? '' : 's'}, ${entry.filesChanged} file${entry.filesChanged === 1 ? '' : 's'} changed`);
    const countdown = entry.nextRollover > query.now ? `in ${duration(entry.nextRollover - query.now)}` : `passed ${duration(query.now - entry.nextRollover)} ago`;
    lines.push(`  rollover   ${utc(entry.nextRollover)}, ${countdown}`);
    if (entry.sharedWith.length > 0) {
      // Named a few at a time: with thousands of branches on one baseline, every name on every branch made the text grow with their square.
      const shown = entry.sharedWith.slice(0, SHARED_NAMES_SHOWN);
      const more = entry.sharedCount - shown.length;
      lines.push(`  shared     one full build serves ${shown.map(printable).join(', ')}${more > 0 ? ` and ${more} more` : ''} too`);
    }
    for (const warning of entry.warnings) lines.push(`  warning    ${printable(warning)}`);
  }
  if (result.branches.length > 0) {
    lines.push('');
    lines.push(`${result.groups.length} full build${result.groups.length === 1 ? '' : 's'} serve ${result.branches.length} branch${result.branches.length === 1 ? '' : 'es'}:`);
    for (const group of result.groups) lines.push(`  ${group.baseline.slice(0, 12)}  ${group.branches.map(printable).join(', ')}`);
  }
  return lines;
}

function utc(epoch: number): string {
  return `${new Date(epoch * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function local(epoch: number): string {
  const date = new Date(epoch * 1000);
  const pad = (value: number) => String(value).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} UTC${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

/** 90061 -> "1d 1h 1m"; under a minute -> "42s". */
export function duration(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days === 0 && hours === 0 && minutes === 0) return `${seconds}s`;
  return [days ? `${days}d` : '', hours ? `${hours}h` : '', minutes ? `${minutes}m` : ''].filter(Boolean).join(' ');
}

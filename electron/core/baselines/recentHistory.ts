/**
 * The first answer for a repository with nothing cached, from recent history only. Reading the
 * whole graph costs git about 13 µs a commit (1.3 s for 100k commits, git's own parsing, not
 * ours), while the answers need only a little of it:
 *
 * 1. `rev-list --parents --timestamp --since=@(B+1) tips`: the commits dated after B reachable
 *    through commits dated after B. git's plain walk skips an older commit without queueing its
 *    parents, exactly where `git rev-list --before=B -1` stops: the baseline walk (baselineWalk.ts)
 *    pops those commits and then the newest of the older ones they name, the frontier.
 * 2. `rev-list --no-walk` of the frontier (and tips not shown): committer time for the walk,
 *    author time and subject for the answer, in one process.
 * 3. `merge-base --octopus` of the baselines: L, a common ancestor of every baseline (that is
 *    not its branch's tip).
 * 4. `rev-list --parents --timestamp tips ^L`: every commit a count or the first-parent line can
 *    involve. A commit left out is an ancestor of L and so of every baseline: it never counts,
 *    and a commit of the read part that is an ancestor of a baseline is reached from it through
 *    read commits only (a commit on the way would otherwise be an ancestor of L too), so counts
 *    on this part are git's exactly (the walks in baselineWalk.ts do not follow unread parents).
 *
 * Only for a wall-clock T (one B for every branch). Null when the baselines share no ancestor
 * (unrelated histories): the caller then reads the whole graph.
 */
import { countCommitsBetween, findBaseline, onFirstParentLine } from './baselineWalk.js';
import { authorTimeOf, shortSubject } from './commitDetails.js';
import { CommitGraph } from './commitGraph.js';
import { GitFailure, type GitRunner } from './gitRunner.js';

export interface RecentAnswer {
  baseline: string;
  rootFallback: boolean;
  offFirstParent: boolean;
  crossedShallowBoundary: boolean;
  commitsSince: number;
}

export interface RecentHistory {
  /** By tip id. */
  answers: Map<string, RecentAnswer>;
  /** Committer time of every tip and every baseline. */
  times: Map<string, number>;
  /** Author time and subject of the baselines the frontier query read (a root fallback's are not). */
  details: Map<string, { subject: string; authorTime: number }>;
}

/** `onBaselines`: every (tip, baseline) pair as soon as the walks found them, before the counts (to ask git for files changed meanwhile). */
export async function answersFromRecentHistory(
  git: GitRunner,
  tips: readonly string[],
  boundary: number,
  shallowShas: readonly string[],
  onBaselines: (pairs: { tip: string; baseline: string }[]) => void = () => undefined,
): Promise<RecentHistory | null> {
  const unique = [...new Set(tips)];
  const recent = new CommitGraph();
  await git.okLines(['rev-list', '--parents', '--timestamp', `--since=@${boundary + 1}`, '--stdin'], unique.join('\n') + '\n', (text) => recent.addRevListOutput(text));

  // The frontier: parents named but not shown (dated at or before B), and tips dated at or before B.
  const frontier = unique.filter((sha) => recent.loadedIndexOf(sha) === undefined);
  for (let index = 0; index < recent.size; index += 1) if (!recent.isLoaded(index)) frontier.push(recent.shaOf(index));
  const details = new Map<string, { subject: string; authorTime: number }>();
  if (frontier.length > 0) {
    const output = await git.ok(['rev-list', '--no-walk=unsorted', '--no-commit-header', '--format=%ct %H%x00%at%x00%s%x00', '--stdin'], [...new Set(frontier)].join('\n') + '\n');
    const lines: string[] = [];
    // Each record ends with NUL and a newline; subjects hold neither.
    for (const record of output.split('\0\n')) {
      const [line, authorTime, subject] = record.split('\0');
      if (line === undefined || authorTime === undefined || subject === undefined) continue;
      lines.push(line.trim());
      details.set(line.trim().split(' ')[1] as string, { subject: shortSubject(subject), authorTime: authorTimeOf(authorTime) });
    }
    recent.addRevListOutput(lines.join('\n'));
  }

  const shallow = new Set<number>();
  for (const sha of shallowShas) {
    const index = recent.indexOf(sha);
    if (index !== undefined) shallow.add(index);
  }
  const times = new Map<string, number>();
  const walks = new Map<string, { baseline: string; rootFallback: boolean; crossedShallowBoundary: boolean }>();
  for (const tip of unique) {
    const index = recent.loadedIndexOf(tip);
    if (index === undefined) throw new GitFailure(`commit ${tip} was not read from the repository`, null);
    const walk = findBaseline(recent, index, boundary, shallow);
    if (!recent.isLoaded(walk.baseline)) throw new GitFailure(`the baseline walk from ${tip} reached a commit git did not list`, null);
    const baseline = recent.shaOf(walk.baseline);
    walks.set(tip, { baseline, rootFallback: walk.rootFallback, crossedShallowBoundary: walk.crossedShallowBoundary || shallow.has(walk.baseline) });
    times.set(tip, recent.timeOf(index));
    times.set(baseline, recent.timeOf(walk.baseline));
  }

  onBaselines([...walks].map(([tip, walk]) => ({ tip, baseline: walk.baseline })));
  const answers = new Map<string, RecentAnswer>();
  const moved = unique.filter((tip) => walks.get(tip)?.baseline !== tip);
  for (const tip of unique) if (walks.get(tip)?.baseline === tip) answers.set(tip, { ...(walks.get(tip) as RecentAnswer), offFirstParent: false, commitsSince: 0 });
  if (moved.length === 0) return { answers, times, details };

  const baselines = [...new Set(moved.map((tip) => walks.get(tip)?.baseline as string))];
  let common = baselines[0] as string;
  if (baselines.length > 1) {
    // Full ids git printed, after --end-of-options: never read as options.
    const result = await git.run(['merge-base', '--octopus', '--end-of-options', ...baselines]);
    if (result.exitCode === 1 && result.stdout.trim() === '') return null;
    if (result.exitCode !== 0) throw new GitFailure(`git merge-base failed: ${result.stderr.trim() || `exit code ${result.exitCode}`}`, result.exitCode);
    common = result.stdout.trim().split('\n')[0] as string;
  }
  const between = new CommitGraph();
  await git.okLines(['rev-list', '--parents', '--timestamp', '--stdin'], [...moved, `^${common}`].join('\n') + '\n', (text) => between.addRevListOutput(text));
  for (const tip of moved) {
    const walk = walks.get(tip) as { baseline: string; rootFallback: boolean; crossedShallowBoundary: boolean };
    const tipIndex = between.loadedIndexOf(tip);
    const baseIndex = between.indexOf(walk.baseline);
    if (tipIndex === undefined || baseIndex === undefined) throw new GitFailure(`git rev-list ${tip} ^${common} did not reach the baseline ${walk.baseline}`, null);
    answers.set(tip, {
      ...walk,
      offFirstParent: !onFirstParentLine(between, baseIndex, tipIndex),
      commitsSince: countCommitsBetween(between, baseIndex, tipIndex),
    });
  }
  return { answers, times, details };
}

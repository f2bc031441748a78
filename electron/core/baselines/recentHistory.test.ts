import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureRepo, engineFacts, git, gitFacts, loggingGit, type FixtureCommit } from './gitFixtures.js';
import { RepoBaselineEngine } from './index.js';

const DAY = 86_400;
const H = 3600;
/** 2023-11-15 00:00:00 UTC: B for the day query below. */
const D = 19_676 * DAY;
const daily = { intervalSeconds: DAY, timeSource: 'wall-clock' as const, branchPattern: null, now: D + 12 * H };

let root: string;
let counter = 0;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-recent-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function repoWith(commits: FixtureCommit[], branches: Record<string, number>): Promise<{ dir: string; shas: string[] }> {
  const dir = path.join(root, `repo-${(counter += 1)}`);
  await mkdir(dir);
  return { dir, shas: await createFixtureRepo(dir, commits, branches) };
}

const at = (ref: string, committer: number, parents: number[]): FixtureCommit => ({ ref, committer, author: committer - 7, parents, message: `at ${committer - D}` });

describe('the first answer from recent history', () => {
  it('agrees with git where counts reach below B: a merged side line never on the baseline, a baseline off the first parent, one that is the common ancestor, an old tip', async () => {
    const { dir } = await repoWith(
      [
        at('refs/heads/main', D - 12 * H, []), // 1: an ancestor of L, reached from topic and merged past L
        at('refs/heads/main', D - 10 * H, [1]), // 2: the common ancestor L of every baseline
        at('refs/heads/main', D - 9 * H, [2]), // 3
        at('refs/heads/main', D - 8 * H, [3]), // 4
        at('refs/heads/main', D - 2 * H, [4]), // 5
        at('refs/heads/main', D + 1 * H, [5]), // 6
        at('refs/fixture/side', D - 7 * H, [1]), // 7: side work before B from below L, never merged into main
        at('refs/fixture/side', D - 6 * H, [7]), // 8
        at('refs/heads/topic', D - 5 * H, [4]), // 9
        at('refs/heads/topic', D + 2 * H, [9, 8]), // 10: merges the side line; baseline 9, counts 10, 8, 7 (not 1)
        at('refs/heads/on-main', D + 3 * H, [6]), // 11: baseline 5 through 6
        at('refs/heads/merged', D + 4 * H, [8, 5]), // 12: baseline 5, the second parent
        at('refs/heads/skew', D + 6 * H, [2]), // 13: after B, so the walk goes through it to L
        at('refs/heads/skew', D + 5 * H, [13]), // 14: older than its parent
      ],
      { old: 3 },
    );
    const gitLog = await loggingGit(dir);
    const engine = new RepoBaselineEngine(dir, { git: gitLog.program });
    const result = await engine.compute(daily);
    expect(result.state, result.message ?? '').toBe('ok');
    // Recent history only: the merge base of the baselines bounds the second read.
    expect(await gitLog.calls()).toEqual(['diff-tree', 'for-each-ref', 'merge-base', 'rev-list', 'rev-list', 'rev-list', 'rev-parse']);
    expect(engineFacts(result.branches)).toEqual(await gitFacts(dir, result.branches));
    const byName = new Map(result.branches.map((entry) => [entry.branch, entry]));
    expect(byName.get('topic')?.commitsSince).toBe(3);
    expect(byName.get('merged')?.offFirstParent).toBe(true);
    expect(byName.get('old')?.baseline.sha).toBe(byName.get('old')?.tip);

    // The same engine later reads the whole graph (no cache: on the next computation) and answers the same.
    const again = await engine.compute(daily);
    expect(again).toEqual(result);
  }, 30_000);

  it('reads the whole graph when the baselines share no ancestor', async () => {
    const { dir } = await repoWith(
      [at('refs/heads/main', D - 3 * H, []), at('refs/heads/main', D + H, [1]), at('refs/heads/other', D - 2 * H, []), at('refs/heads/other', D + 2 * H, [3])],
      {},
    );
    const gitLog = await loggingGit(dir);
    const result = await new RepoBaselineEngine(dir, { git: gitLog.program }).compute(daily);
    expect(result.state, result.message ?? '').toBe('ok');
    // merge-base found nothing; the fourth rev-list read everything; then subjects.
    expect((await gitLog.calls()).filter((call) => call === 'merge-base' || call === 'rev-list')).toEqual(['merge-base', 'rev-list', 'rev-list', 'rev-list', 'rev-list']);
    expect(engineFacts(result.branches)).toEqual(await gitFacts(dir, result.branches));
  }, 30_000);

  it('after a ref moves: reads a detached HEAD the branch read missed, and starts over when a known tip was pruned', async () => {
    const commits: FixtureCommit[] = [at('refs/heads/main', D - 10 * H, [])];
    for (let i = 1; i < 12; i += 1) commits.push(at('refs/heads/main', D - 10 * H + i * H, [i]));
    commits.push(at('refs/heads/gone', D + 3 * H, [5]));
    const { dir, shas } = await repoWith(commits, { topic: 6 });
    const gitLog = await loggingGit(dir);
    const engine = new RepoBaselineEngine(dir, { git: gitLog.program });
    await engine.compute(daily);
    await engine.compute(daily); // the whole graph, read on this second computation (no cache)

    // HEAD detached at a new commit: rev-list --branches does not see it; loadTips does.
    const tree = (await git(dir, ['rev-parse', `${shas[8]}^{tree}`])).trim();
    const detached = (await git(dir, ['commit-tree', tree, '-p', shas[8] as string, '-m', 'detached'])).trim();
    await git(dir, ['update-ref', '--no-deref', 'HEAD', detached]);
    await gitLog.clear();
    const withHead = await engine.compute(daily);
    expect(withHead.branches.find((entry) => entry.detached)?.tip).toBe(detached);
    expect(engineFacts(withHead.branches)).toEqual(await gitFacts(dir, withHead.branches));
    // The running cat-file asked only about the known branches; rev-list: HEAD's commit, the
    // subject of its new baseline; files changed from the running diff-tree.
    expect(await gitLog.calls()).toEqual(['for-each-ref', 'rev-list', 'rev-list', 'rev-parse']);

    // A known tip deleted and pruned, and a new branch: `^known` names a missing commit when the
    // new branch's history is read, so everything is read again.
    await git(dir, ['update-ref', '--no-deref', 'HEAD', 'refs/heads/main']);
    await git(dir, ['symbolic-ref', 'HEAD', 'refs/heads/main']);
    await git(dir, ['update-ref', '-d', 'refs/heads/gone']);
    await git(dir, ['reflog', 'expire', '--expire=now', '--all']);
    await git(dir, ['gc', '-q', '--prune=now']);
    await git(dir, ['update-ref', 'refs/heads/topic', shas[10] as string]);
    const fresh = (await git(dir, ['commit-tree', tree, '-p', shas[10] as string, '-m', 'fresh'])).trim();
    await git(dir, ['update-ref', 'refs/heads/fresh', fresh]);
    const pruned = await engine.compute(daily);
    expect(pruned.state, pruned.message ?? '').toBe('ok');
    expect(pruned.branches.map((entry) => entry.branch).sort()).toEqual(['fresh', 'main', 'topic']);
    expect(engineFacts(pruned.branches)).toEqual(await gitFacts(dir, pruned.branches));
    engine.close();
  }, 30_000);
});

import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { createFixtureRepo, git, loggingGit, oracleBaseline, type FixtureCommit } from './gitFixtures.js';
import { assertGitWorkTree, boundaryFor, RepoBaselineEngine, type ComputedRepoBaselines } from './index.js';

const DAY = 86_400;
/** 2023-11-15 00:00:00 UTC, a Wednesday midnight. */
const D = 19_676 * DAY;
const H = 3600;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-baselines-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
async function repoWith(commits: FixtureCommit[], branches: Record<string, number> = {}): Promise<{ dir: string; shas: string[] }> {
  const dir = path.join(root, `repo-${(counter += 1)}`);
  await mkdir(dir);
  const shas = await createFixtureRepo(dir, commits, branches);
  return { dir, shas };
}

const main = (committer: number, parents: number[], extra: Partial<FixtureCommit> = {}): FixtureCommit => ({ ref: 'refs/heads/main', committer, parents, ...extra });

function branch(result: ComputedRepoBaselines, name: string) {
  const found = result.branches.find((entry) => entry.branch === name);
  if (!found) throw new Error(`no branch ${name} in ${result.branches.map((entry) => entry.branch).join(', ')}`);
  return found;
}

/** Every branch of the result against git itself: baseline, fallback, counts, first-parent line. */
async function expectOracle(dir: string, result: ComputedRepoBaselines): Promise<void> {
  expect(result.state, result.message ?? '').toBe('ok');
  for (const entry of result.branches) {
    const ref = entry.detached ? 'HEAD' : `refs/heads/${entry.branch}`;
    expect((await git(dir, ['rev-parse', '--verify', '--end-of-options', ref])).trim(), entry.branch).toBe(entry.tip);
    const oracle = await oracleBaseline(dir, ref, entry.boundary);
    expect({ branch: entry.branch, baseline: entry.baseline.sha, rootFallback: entry.rootFallback }).toEqual({ branch: entry.branch, ...oracle });
    const count = Number((await git(dir, ['rev-list', '--count', `${entry.baseline.sha}..${entry.tip}`])).trim());
    expect(entry.commitsSince, `${entry.branch} commitsSince`).toBe(count);
    const files = (await git(dir, ['diff', '--no-renames', '--name-only', '-z', entry.baseline.sha, entry.tip])).split('\0').filter(Boolean).length;
    expect(entry.filesChanged, `${entry.branch} filesChanged`).toBe(files);
    const firstParentLine = (await git(dir, ['rev-list', '--first-parent', entry.tip])).split('\n');
    expect(entry.offFirstParent, `${entry.branch} offFirstParent`).toBe(!firstParentLine.includes(entry.baseline.sha));
    const [commitTime, authorTime, subject] = (await git(dir, ['log', '-1', '--format=%ct%x00%at%x00%s', entry.baseline.sha])).trim().split('\0');
    expect(entry.baseline).toEqual({ sha: entry.baseline.sha, commitTime: Number(commitTime), authorTime: Number(authorTime), subject });
    expect(entry.nextRollover - entry.boundary).toBeGreaterThan(0);
  }
}

const daily = (now: number) => ({ intervalSeconds: DAY, timeSource: 'wall-clock' as const, branchPattern: null, now });

describe('boundaryFor', () => {
  it('floors to the interval, epoch-aligned, and weeks start on Thursday', () => {
    expect(boundaryFor(D + 5, DAY)).toBe(D);
    expect(boundaryFor(D, DAY)).toBe(D);
    expect(boundaryFor(D - 1, DAY)).toBe(D - DAY);
    for (const time of [0, D, D + 3 * DAY + 7, 1_735_689_599, 2_000_000_000]) {
      expect(new Date(boundaryFor(time, 7 * DAY) * 1000).getUTCDay()).toBe(4);
    }
  });
});

describe('RepoBaselineEngine against git rev-list', () => {
  it('takes a commit dated exactly at B (inclusive), by committer date not author date', async () => {
    const { dir, shas } = await repoWith([
      main(D - 5 * H, []),
      main(D, [1]), // exactly at B
      main(D + 1, [2], { author: D - 2 * H }), // authored before B, committed after: not a candidate
      main(D + 2 * H, [3]),
    ]);
    const result = await new RepoBaselineEngine(dir).compute(daily(D + 10 * H));
    expect(branch(result, 'main').baseline.sha).toBe(shas[1]);
    expect(branch(result, 'main').boundary).toBe(D);
    expect(branch(result, 'main').nextRollover).toBe(D + DAY);
    expect(branch(result, 'main').commitsSince).toBe(2);
    await expectOracle(dir, result);

    // A commit authored after B but committed before it is the baseline.
    const other = await repoWith([main(D - 5 * H, []), main(D - H, [1], { author: D + 3 * H }), main(D + H, [2])]);
    const otherResult = await new RepoBaselineEngine(other.dir).compute(daily(D + 10 * H));
    expect(branch(otherResult, 'main').baseline).toMatchObject({ sha: other.shas[1], commitTime: D - H, authorTime: D + 3 * H });
    await expectOracle(other.dir, otherResult);
  });

  it('moves a rebased branch back into shared history and groups branches by baseline', async () => {
    const { dir, shas } = await repoWith(
      [
        main(D - 3 * H, []),
        main(D - 2 * H, [1]),
        main(D + H, [2]),
        // feature, written before B but rebased onto main after it: committer dates after B.
        { ref: 'refs/heads/feature', committer: D + 2 * H, author: D - H, parents: [3] },
        { ref: 'refs/heads/feature', committer: D + 2 * H, author: D - 30 * 60, parents: [4] },
      ],
      { old: 1 },
    );
    const result = await new RepoBaselineEngine(dir).compute(daily(D + 5 * H));
    expect(branch(result, 'feature').baseline.sha).toBe(shas[1]);
    expect(branch(result, 'feature').commitsSince).toBe(3);
    expect(branch(result, 'feature').sharedWith).toEqual(['main']);
    expect(branch(result, 'feature').sharedCount).toBe(1);
    expect(branch(result, 'old').baseline.sha).toBe(shas[0]);
    expect(result.groups).toEqual(
      expect.arrayContaining([
        { baseline: shas[1], branches: ['feature', 'main'] },
        { baseline: shas[0], branches: ['old'] },
      ]),
    );
    await expectOracle(dir, result);
  });

  it('finds a baseline reached only through a side branch merged after B and warns', async () => {
    const { dir, shas } = await repoWith([
      main(D - 3 * DAY, []),
      main(D - DAY, [1]),
      { ref: 'refs/heads/side', committer: D - H, parents: [1] },
      main(D + H, [2, 3], { message: 'Merge side' }),
    ]);
    const result = await new RepoBaselineEngine(dir).compute(daily(D + 2 * H));
    const entry = branch(result, 'main');
    expect(entry.baseline.sha).toBe(shas[2]);
    expect(entry.offFirstParent).toBe(true);
    expect(entry.warnings.join(' ')).toMatch(/first-parent line/);
    expect(branch(result, 'side').offFirstParent).toBe(false);
    await expectOracle(dir, result);
  });

  it('falls back to a root commit when nothing is dated at or before B, with several roots', async () => {
    const { dir, shas } = await repoWith([
      main(D + 10, []),
      { ref: 'refs/heads/other', committer: D + 20, parents: [] },
      main(D + 30, [1, 2], { message: 'join two roots' }),
      { ref: 'refs/heads/late-root', committer: D + 5, parents: [] },
      { ref: 'refs/heads/late-root', committer: D + 40, parents: [4, 3] },
    ]);
    const result = await new RepoBaselineEngine(dir).compute(daily(D + H));
    expect(branch(result, 'main')).toMatchObject({ rootFallback: true, baseline: { sha: shas[1] } });
    expect(branch(result, 'main').warnings.join(' ')).toMatch(/falls back to the root commit/);
    expect(branch(result, 'late-root').rootFallback).toBe(true);
    await expectOracle(dir, result);
  });

  it('shows a detached HEAD as a HEAD entry', async () => {
    const { dir, shas } = await repoWith([main(D - 2 * H, []), main(D - H, [1]), main(D + H, [2])]);
    await git(dir, ['update-ref', '--no-deref', 'HEAD', shas[1] as string]);
    const result = await new RepoBaselineEngine(dir).compute(daily(D + 2 * H));
    expect(branch(result, 'HEAD')).toMatchObject({ detached: true, tip: shas[1], baseline: { sha: shas[1] }, sharedWith: ['main'] });
    expect(branch(result, 'main').detached).toBe(false);
    await expectOracle(dir, result);
  });

  it('matches git in a shallow clone and warns when the search reaches the shallow boundary', async () => {
    const source = await repoWith(
      [main(D - 3 * DAY, []), main(D - 2 * DAY, [1]), main(D + H, [2]), main(D + 2 * H, [3]), { ref: 'refs/heads/fresh', committer: D - H, parents: [4] }],
      {},
    );
    const clone = path.join(root, `clone-${(counter += 1)}`);
    await mkdir(clone);
    await git(clone, ['init', '-q', '-b', 'main']);
    await git(clone, ['fetch', '-q', '--update-head-ok', '--depth', '2', `file://${source.dir}`, 'refs/heads/*:refs/heads/*']);
    const result = await new RepoBaselineEngine(clone).compute(daily(D + 5 * H));
    expect(result.shallow).toBe(true);
    await expectOracle(clone, result);
    // main's two commits are both after B: git falls back to the shallow boundary commit.
    expect(branch(result, 'main')).toMatchObject({ rootFallback: true, baseline: { sha: source.shas[2] } });
    expect(branch(result, 'main').warnings.join(' ')).toMatch(/git fetch --unshallow/);
    // The full clone says otherwise: that is what the warning is for.
    const full = await new RepoBaselineEngine(source.dir).compute(daily(D + 5 * H));
    expect(branch(full, 'main').baseline.sha).toBe(source.shas[1]);
    expect(branch(full, 'main').warnings).toEqual([]);
  });

  it('puts weekly boundaries on Thursdays and agrees with git across them', async () => {
    const week = 7 * DAY;
    const commits: FixtureCommit[] = [];
    for (let i = 0; i < 30; i += 1) commits.push(main(D - 20 * DAY + i * 17 * H, i === 0 ? [] : [i]));
    const { dir } = await repoWith(commits);
    const engine = new RepoBaselineEngine(dir);
    for (const now of [D - 9 * DAY, D - 2 * DAY + 5, D + 3 * DAY]) {
      const result = await engine.compute({ intervalSeconds: week, timeSource: 'wall-clock', branchPattern: null, now });
      const entry = branch(result, 'main');
      expect(new Date(entry.boundary * 1000).getUTCDay()).toBe(4);
      expect(new Date(entry.boundary * 1000).toISOString()).toMatch(/T00:00:00\.000Z$/);
      expect(entry.nextRollover).toBe(entry.boundary + week);
      await expectOracle(dir, result);
    }
  });

  it('uses the tip commit time as T for the tip-commit time source', async () => {
    const { dir, shas } = await repoWith([main(D - DAY - H, []), main(D - DAY + H, [1]), main(D + 5 * H, [2])]);
    const result = await new RepoBaselineEngine(dir).compute({ intervalSeconds: DAY, timeSource: 'tip-commit', branchPattern: null, now: D + 30 * DAY });
    expect(branch(result, 'main')).toMatchObject({ time: D + 5 * H, boundary: D, baseline: { sha: shas[1] } });
    await expectOracle(dir, result);
  });

  it('treats branch names with shell metacharacters as data', async () => {
    // Refnames cannot hold spaces; ${IFS} is the shell's way around that.
    const names = ["a$(touch${IFS}x);b'\"", 'c`touch${IFS}x`', 'd;touch${IFS}x', '-rf', '--all', '(e)|f&g', 'HEAD@x'];
    const branches = Object.fromEntries(names.map((name) => [name, 2]));
    const { dir, shas } = await repoWith([main(D - H, []), main(D + H, [1])], branches);
    const result = await new RepoBaselineEngine(dir).compute(daily(D + 2 * H));
    for (const name of names) expect(branch(result, name).baseline.sha).toBe(shas[0]);
    await expectOracle(dir, result);
    const patterned = await new RepoBaselineEngine(dir).compute({ ...daily(D + 2 * H), branchPattern: 'a$(touch${IFS}x);b*' });
    expect(patterned.branches.map((entry) => entry.branch)).toEqual(["a$(touch${IFS}x);b'\""]);
    expect(await readdir(dir)).not.toContain('x');
    expect(await readdir(process.cwd())).not.toContain('x');
  });

  it('agrees with git on random histories with equal dates, clock skew, merges and many roots', async () => {
    let seed = 20_231_115;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    for (let round = 0; round < 2; round += 1) {
      const commits: FixtureCommit[] = [];
      for (let i = 0; i < 90; i += 1) {
        const parents: number[] = [];
        if (i > 0 && random(12) !== 0) {
          parents.push(1 + random(i));
          if (random(4) === 0) parents.push(1 + random(i));
        }
        // Only 15 distinct dates for 90 commits: ties everywhere, children older than parents.
        commits.push({ ref: 'refs/fixture/all', committer: D + random(15) * 60, author: D + random(1000), parents: [...new Set(parents)] });
      }
      const branches: Record<string, number> = {};
      for (let b = 0; b < 8; b += 1) branches[`b${b}`] = 1 + random(90);
      const { dir } = await repoWith(commits, branches);
      const engine = new RepoBaselineEngine(dir);
      for (let j = -1; j <= 15; j += 5) {
        const result = await engine.compute({ intervalSeconds: 60, timeSource: 'wall-clock', branchPattern: null, now: D + j * 60 });
        expect(result.branches).toHaveLength(8);
        await expectOracle(dir, result);
      }
    }
  }, 60_000);

  it('recomputes incrementally after one ref moves: only new commits and the moved branch', async () => {
    const commits: FixtureCommit[] = [main(D - 10 * H, [])];
    for (let i = 1; i < 40; i += 1) commits.push(main(D - 10 * H + i * 30 * 60, [i]));
    const branches: Record<string, number> = {};
    for (let b = 0; b < 12; b += 1) branches[`topic-${b}`] = 2 + b;
    const { dir, shas } = await repoWith(commits, branches);

    // A git that logs each call, to count what the second computation asks of git.
    const gitLog = await loggingGit(dir);
    const engine = new RepoBaselineEngine(dir, { git: gitLog.program });
    const now = D + 12 * H;
    const first = await engine.compute(daily(now));
    await expectOracle(dir, first);
    await gitLog.clear();

    // topic-7 gains two commits (one before B, one after).
    await git(dir, ['fast-import', '--quiet'], [
      `commit refs/heads/topic-7\ncommitter C <c@example.com> ${D - 1} +0000\ndata 3\nnew\nfrom ${shas[8]}\nM 100644 inline new-file\ndata 2\nn\n`,
      `commit refs/heads/topic-7\ncommitter C <c@example.com> ${D + H} +0000\ndata 4\nnew2\nM 100644 inline new-file-2\ndata 2\nn\n`,
    ].join('\n'));
    const second = await engine.compute(daily(now));
    // The first answer came from recent history, so the whole graph is read now (an engine
    // without a cache dir does not read it in the background), and a new baseline's subject.
    // Files changed are asked of the diff-tree kept running since the first computation (twice:
    // guessed from the old baseline while the commits were read, but the commit dated before B
    // moved the baseline, so the guess missed; then the real pair).
    expect(await gitLog.calls()).toEqual(['for-each-ref', 'rev-list', 'rev-list']);
    expect(second).toEqual(await new RepoBaselineEngine(dir).compute(daily(now)));
    expect(branch(second, 'topic-7').tip).not.toBe(branch(first, 'topic-7').tip);
    expect(second.branches.filter((entry) => entry.branch !== 'topic-7')).toEqual(first.branches.filter((entry) => entry.branch !== 'topic-7'));
    await expectOracle(dir, second);

    // Another commit after B keeps the baseline: the running cat-file says where topic-7 points
    // and reads its new commit (no rev-list), the running diff-tree counts the guessed pair's
    // files (the answer), and subjects are known: for-each-ref is the one new process.
    await gitLog.clear();
    await git(dir, ['fast-import', '--quiet'], `commit refs/heads/topic-7\ncommitter C <c@example.com> ${D + 2 * H} +0000\ndata 4\nnew3\nfrom refs/heads/topic-7^0\nM 100644 inline new-file-3\ndata 2\nn\n`);
    const third = await engine.compute(daily(now));
    expect(await gitLog.calls()).toEqual(['for-each-ref']);
    expect(branch(third, 'topic-7').baseline).toEqual(branch(second, 'topic-7').baseline);
    expect(branch(third, 'topic-7').filesChanged).toBe(branch(second, 'topic-7').filesChanged + 1);
    await expectOracle(dir, third);

    // Nothing moved: for-each-ref alone, and no subject or files-changed count is asked again.
    await gitLog.clear();
    expect(await engine.compute(daily(now))).toEqual(third);
    expect(await gitLog.calls()).toEqual(['for-each-ref']);
    // One cat-file and one diff-tree served all three, started after the first computation.
    expect(await gitLog.started()).toBe(0);
    engine.close();
  }, 30_000);

  it('says missing for a deleted repository and error for a path that is not a repository', async () => {
    const { dir } = await repoWith([main(D - H, [])]);
    const engine = new RepoBaselineEngine(dir);
    expect((await engine.compute(daily(D))).state).toBe('ok');
    await rm(dir, { recursive: true, force: true });
    const missing = await engine.compute(daily(D));
    expect(missing).toMatchObject({ state: 'missing', branches: [] });
    expect(missing.message).toMatch(/does not exist/);
    const plain = path.join(root, 'plain-dir');
    await mkdir(plain);
    const notRepo = await new RepoBaselineEngine(plain).compute(daily(D));
    expect(notRepo.state).toBe('error');
    expect(notRepo.message).toMatch(/not a git repository/);
  });
});

describe('assertGitWorkTree', () => {
  it('accepts a work tree and refuses the rest with a hint', async () => {
    const { dir } = await repoWith([main(D, [])]);
    await expect(assertGitWorkTree(dir)).resolves.toBeUndefined();
    const file = path.join(root, 'a-file');
    await writeFile(file, 'x');
    const bare = path.join(root, 'bare.git');
    await mkdir(bare);
    await git(bare, ['init', '-q', '--bare']);
    const plain = path.join(root, 'plain');
    await mkdir(plain);
    for (const [target, words] of [
      [path.join(root, 'nowhere'), /does not exist/],
      [file, /not a directory/],
      [plain, /not a git work tree/],
      [bare, /bare git repository/],
    ] as const) {
      const error = await assertGitWorkTree(target).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BuilderBarError);
      expect((error as BuilderBarError).message).toMatch(words);
      expect((error as BuilderBarError).hint).toBeTruthy();
    }
  });
});

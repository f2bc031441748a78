import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitGraph } from './commitGraph.js';
import { createFixtureRepo, git, loggingGit, oracleBaseline, type FixtureCommit } from './gitFixtures.js';
import { graphCacheFile, readGraphCache, writeGraphCache } from './graphCache.js';
import { RepoBaselineEngine, type ComputedRepoBaselines } from './index.js';

const DAY = 86_400;
const H = 3600;
/** 2023-11-15 00:00:00 UTC. */
const D = 19_676 * DAY;
const daily = (now: number) => ({ intervalSeconds: DAY, timeSource: 'wall-clock' as const, branchPattern: null, now });

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-graph-cache-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
const fresh = async (name: string) => {
  const dir = path.join(root, `${name}-${(counter += 1)}`);
  await mkdir(dir);
  return dir;
};

/**
 * Main with a merged side line, two branches that share one baseline, and an orphan branch
 * with no commit at or before B (its baseline is its root, the fallback).
 */
function history(): { commits: FixtureCommit[]; branches: Record<string, number> } {
  const main = (committer: number, parents: number[]): FixtureCommit => ({ ref: 'refs/heads/main', committer, parents });
  const commits: FixtureCommit[] = [
    main(D - 10 * H, []), // 1
    main(D - 8 * H, [1]), // 2
    { ref: 'refs/heads/side', committer: D - 7 * H, parents: [2] }, // 3
    main(D - 6 * H, [2]), // 4
    { ref: 'refs/heads/side', committer: D - 2 * H, parents: [3] }, // 5
    main(D + H, [4, 5]), // 6: the merge, after B
    main(D + 2 * H, [6]), // 7
    { ref: 'refs/heads/topic-a', committer: D + 3 * H, parents: [7] }, // 8
    { ref: 'refs/heads/topic-b', committer: D + 4 * H, parents: [7] }, // 9
    { ref: 'refs/heads/orphan', committer: D + 5 * H, parents: [] }, // 10
    { ref: 'refs/heads/orphan', committer: D + 6 * H, parents: [10] }, // 11
    { ref: 'refs/heads/octopus', committer: D + 7 * H, parents: [7, 5, 3] }, // 12: three parents
  ];
  return { commits, branches: {} };
}


async function expectLikeGit(dir: string, result: ComputedRepoBaselines): Promise<void> {
  expect(result.state, result.message ?? '').toBe('ok');
  for (const entry of result.branches) {
    const oracle = await oracleBaseline(dir, `refs/heads/${entry.branch}`, entry.boundary);
    expect({ branch: entry.branch, baseline: entry.baseline.sha, rootFallback: entry.rootFallback }).toEqual({ branch: entry.branch, ...oracle });
    expect(entry.commitsSince, entry.branch).toBe(Number((await git(dir, ['rev-list', '--count', `${entry.baseline.sha}..${entry.tip}`])).trim()));
    expect(entry.offFirstParent, entry.branch).toBe(!(await git(dir, ['rev-list', '--first-parent', entry.tip])).split('\n').includes(entry.baseline.sha));
  }
}

/** Every file under the repository's .git with its size and modification time. */
async function snapshotOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string) => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      const info = await stat(full);
      out.push(`${path.relative(dir, full)} ${info.size} ${info.mtimeMs}`);
      if (entry.isDirectory()) await walk(full);
    }
  };
  await walk(path.join(dir, '.git'));
  return out.sort();
}

describe('CommitGraph arrays', () => {
  it('round-trips parents (roots, merges, octopus), times, generations and ids', () => {
    const sha = (n: number) => n.toString(16).padStart(40, '0');
    const graph = new CommitGraph();
    graph.addRevListOutput([`50 ${sha(5)} ${sha(4)} ${sha(3)} ${sha(2)}`, `40 ${sha(4)} ${sha(1)}`, `30 ${sha(3)} ${sha(1)}`, `20 ${sha(2)}`, `10 ${sha(1)}`].join('\n') + '\n');
    expect(graph.isClosed()).toBe(true);
    expect(graph.generation(graph.indexOf(sha(5)) as number)).toBe(3);
    const copy = CommitGraph.fromArrays(graph.exportArrays());
    for (let n = 1; n <= 5; n += 1) {
      const index = copy.loadedIndexOf(sha(n)) as number;
      const original = graph.indexOf(sha(n)) as number;
      expect(copy.shaOf(index)).toBe(sha(n));
      expect(copy.timeOf(index)).toBe(n * 10);
      const parentsOf = (g: CommitGraph, i: number) => Array.from({ length: g.parentCount(i) }, (_, k) => g.shaOf(g.parentAt(i, k)));
      expect(parentsOf(copy, index)).toEqual(parentsOf(graph, original));
      expect(copy.generation(index)).toBe(graph.generation(original));
    }
    expect(copy.indexOf(sha(6))).toBeUndefined();
    // Commits read after the import sit beside the imported ones.
    copy.addRevListOutput(`60 ${sha(6)} ${sha(5)}\n`);
    expect(copy.parentAt(copy.indexOf(sha(6)) as number, 0)).toBe(copy.indexOf(sha(5)));
    expect(copy.generation(copy.indexOf(sha(6)) as number)).toBe(4);
  });

  it('keeps one whole file when two engines of one repository (two tracked worktrees) write it at once', async () => {
    // Ids spread as git's are (the graph's table is keyed by their first digits).
    const sha = (n: number) => createHash('sha1').update(String(n)).digest('hex');
    // A chain of `count` commits: megabytes, so the two writes overlap. (Built from one rope of
    // text, as 60,000 lines it also once grew the worker past its heap: commitGraph.ts.)
    const chain = (count: number) => {
      const graph = new CommitGraph();
      const lines: string[] = [];
      for (let n = count; n >= 1; n -= 1) lines.push(`${n} ${sha(n)}${n > 1 ? ` ${sha(n - 1)}` : ''}`);
      graph.addRevListOutput(lines.join('\n') + '\n');
      return graph;
    };
    const dir = await fresh('shared-cache');
    const file = graphCacheFile(dir, '/repo/.git');
    const contents = (count: number) => ({ commonDir: '/repo/.git', graphKey: '', graph: chain(count), tips: [sha(count)], commits: new Map(), filesChanged: new Map() });
    const writes = await Promise.allSettled([writeGraphCache(file, contents(60_000)), writeGraphCache(file, contents(60_001))]);
    expect(writes.map((write) => write.status)).toEqual(['fulfilled', 'fulfilled']);
    const read = await readGraphCache(file, '/repo/.git', '');
    expect([60_000, 60_001]).toContain(read?.graph.size);
    expect(await readdir(dir)).toEqual([path.basename(file)]);
  });
});

describe('RepoBaselineEngine with an on-disk cache', () => {
  it('starts a new engine from the cache with the same answers, no history read from git, and nothing written into the repository', async () => {
    const dir = await fresh('repo');
    const { commits, branches } = history();
    await createFixtureRepo(dir, commits, branches);
    const cacheDir = path.join(await fresh('state'), 'baseline-graphs');
    const before = await snapshotOf(dir);

    const first = new RepoBaselineEngine(dir, { cacheDir });
    const expected = await first.compute(daily(D + 12 * H));
    await expectLikeGit(dir, expected);
    expect(expected.branches.find((entry) => entry.branch === 'orphan')?.rootFallback).toBe(true);
    const shared = expected.groups.find((group) => group.branches.includes('topic-a'));
    expect(shared?.branches).toEqual(expect.arrayContaining(['topic-a', 'topic-b']));
    await first.persist();
    first.close();
    expect(await readdir(cacheDir)).toHaveLength(1);

    const gitLog = await loggingGit(dir);
    const second = new RepoBaselineEngine(dir, { cacheDir, git: gitLog.program });
    expect(await second.compute(daily(D + 12 * H))).toEqual(expected);
    // Refs and HEAD only: no rev-list (history, subjects) and no diff-tree (files changed).
    expect(await gitLog.calls()).toEqual(['for-each-ref', 'rev-parse']);
    second.close();
    expect(await snapshotOf(dir)).toEqual(before);
  }, 30_000);

  it('reads only the new commits after a ref moved while no engine ran, and agrees with git', async () => {
    const dir = await fresh('repo');
    const { commits, branches } = history();
    const shas = await createFixtureRepo(dir, commits, branches);
    const cacheDir = await fresh('state');
    const first = new RepoBaselineEngine(dir, { cacheDir });
    await first.compute(daily(D + 12 * H));
    await first.persist();
    first.close();

    // topic-a gains a merge of side; a new branch appears.
    await git(dir, ['fast-import', '--quiet'], `commit refs/heads/topic-a\ncommitter C <c@example.com> ${D + 8 * H} +0000\ndata 5\nmerge\nfrom ${shas[7]}\nmerge ${shas[4]}\nM 100644 inline m\ndata 2\nm\n\nreset refs/heads/new\nfrom ${shas[1]}\n\n`);
    const gitLog = await loggingGit(dir);
    const engine = new RepoBaselineEngine(dir, { cacheDir, git: gitLog.program });
    const result = await engine.compute(daily(D + 12 * H));
    await expectLikeGit(dir, result);
    expect(result).toEqual(await new RepoBaselineEngine(dir).compute(daily(D + 12 * H)));
    expect((await gitLog.calls()).filter((call) => call === 'rev-list')).toHaveLength(2); // the new commits, a new baseline's subject
    engine.close();
  }, 30_000);

  it('ignores a cache written before a replace ref changed a parent, a corrupt file, and one of a repository since replaced', async () => {
    const dir = await fresh('repo');
    const { commits, branches } = history();
    const shas = await createFixtureRepo(dir, commits, branches);
    const cacheDir = await fresh('state');
    const write = async () => {
      const engine = new RepoBaselineEngine(dir, { cacheDir });
      await engine.compute(daily(D + 12 * H));
      await engine.persist();
      engine.close();
    };
    await write();

    // A graft: commit 7's parent becomes the root, so main's history as git sees it changes.
    await git(dir, ['replace', '--graft', shas[6] as string, shas[0] as string]);
    const grafted = await new RepoBaselineEngine(dir, { cacheDir }).compute(daily(D + 12 * H));
    await expectLikeGit(dir, grafted);
    expect(grafted).toEqual(await new RepoBaselineEngine(dir).compute(daily(D + 12 * H)));

    const [file] = await readdir(cacheDir);
    const bytes = await readFile(path.join(cacheDir, file as string));
    bytes[bytes.length - 5] = 0x2d; // a "-" among the ids
    await writeFile(path.join(cacheDir, file as string), bytes);
    const commonDir = path.join(dir, '.git');
    expect(await readGraphCache(path.join(cacheDir, file as string), commonDir, '\n')).toBeNull();
    const corrupt = await new RepoBaselineEngine(dir, { cacheDir }).compute(daily(D + 12 * H));
    expect(corrupt).toEqual(grafted);

    // Another repository at the same path: the cached tips are not in it.
    await git(dir, ['replace', '-d', shas[6] as string]);
    await write();
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    await createFixtureRepo(dir, [
      { ref: 'refs/heads/main', committer: D - 3 * H, parents: [] },
      { ref: 'refs/heads/main', committer: D + 3 * H, parents: [1] },
    ]);
    const replaced = await new RepoBaselineEngine(dir, { cacheDir }).compute(daily(D + 12 * H));
    await expectLikeGit(dir, replaced);
    expect(replaced.branches.map((entry) => entry.branch)).toEqual(['main']);
  }, 60_000);

  it('writes the cache by itself a little after a computation that learnt something, and removes it on request', async () => {
    const dir = await fresh('repo');
    const { commits, branches } = history();
    await createFixtureRepo(dir, commits, branches);
    const cacheDir = await fresh('state');
    const engine = new RepoBaselineEngine(dir, { cacheDir, persistDelayMs: 10 });
    await engine.compute(daily(D + 12 * H));
    const file = graphCacheFile(cacheDir, path.join(dir, '.git'));
    await expect.poll(() => stat(file).then(() => true, () => false)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readGraphCache(file, path.join(dir, '.git'), '\n')).not.toBeNull();
    await engine.dropCache();
    expect(await readdir(cacheDir)).toEqual([]);
  }, 30_000);

  it('does not write a cache for a graph that holds commits whose lines were never read', async () => {
    const graph = new CommitGraph();
    graph.addRevListOutput(`10 ${'a'.repeat(40)} ${'b'.repeat(40)}\n`);
    expect(graph.isClosed()).toBe(false);
    const file = path.join(await fresh('state'), 'x.graph');
    await writeGraphCache(file, { commonDir: '/x', graphKey: '', graph, tips: [], commits: new Map(), filesChanged: new Map() });
    // The unread parent's time is NaN: a reader refuses the file.
    expect(await readGraphCache(file, '/x', '')).toBeNull();
  });
});

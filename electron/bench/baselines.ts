/**
 * Benchmark: every branch's baseline on a generated 100k-commit repository with 200 branches.
 * The engine with nothing cached (a new engine and an empty cache dir: answers from recent
 * history, recentHistory.ts; the whole graph it then reads in the background for later
 * computations is awaited by `persist()`, outside the timing, as the app answers before it), cold (a new engine whose cache dir holds what the previous
 * engine saved, as after a restart of the core), the engine warm after one ref moves (loads
 * only the new commit, walks one branch), and the naive loop
 * of one `git rev-list --before=@B -1 <branch>` per branch (baselines only: no counts, no
 * files), in the same run, on the same repository; the engine's baselines are checked against
 * the loop's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { RepoBaselineEngine, boundaryFor, type BaselineQuery } from '../core/baselines/index.js';
import { gitEnvironment } from '../core/baselines/gitRunner.js';
import { benchNow, ensureBenchRepo } from './baselinesRepo.js';

export interface BaselinesBenchResult {
  commits: number;
  branches: number;
  uncachedMs: number[];
  coldMs: number[];
  warmMs: number[];
  naiveMs: number[];
  agreeing: number;
}

const env = gitEnvironment();
const gitIn = async (repo: string, args: string[], extra: Record<string, string> = {}) =>
  String((await execa('git', ['-C', repo, ...args], { env: { ...env, ...extra }, extendEnv: false })).stdout).trim();

export async function benchBaselines(rounds: number): Promise<BaselinesBenchResult> {
  const repo = await ensureBenchRepo();
  const query: BaselineQuery = { intervalSeconds: 86_400, timeSource: 'wall-clock', branchPattern: null, now: benchNow };
  const boundary = boundaryFor(query.now, query.intervalSeconds);
  const refs = (await gitIn(repo, ['for-each-ref', '--format=%(refname)', 'refs/heads/'])).split('\n');
  const commits = Number(await gitIn(repo, ['rev-list', '--count', '--all']));
  const moving = 'refs/heads/feature/b-7';
  const original = await gitIn(repo, ['rev-parse', moving]);

  const uncachedMs: number[] = [];
  const coldMs: number[] = [];
  const warmMs: number[] = [];
  const naiveMs: number[] = [];
  let agreeing = 0;
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'builder-bar-bench-graphs-'));
  try {
    for (let round = 0; round < rounds; round += 1) {
      await rm(cacheDir, { recursive: true, force: true });
      const first = new RepoBaselineEngine(repo, { cacheDir });
      let started = performance.now();
      const uncached = await first.compute(query);
      uncachedMs.push(performance.now() - started);
      if (uncached.state !== 'ok') throw new Error(`the engine failed: ${uncached.message}`);
      await first.persist();
      first.close();

      const engine = new RepoBaselineEngine(repo, { cacheDir });
      started = performance.now();
      const cold = await engine.compute(query);
      coldMs.push(performance.now() - started);
      if (cold.state !== 'ok') throw new Error(`the engine failed: ${cold.message}`);
      if (JSON.stringify(cold) !== JSON.stringify(uncached)) throw new Error('the engine from its cache answered differently');

      // One ref moves: a new commit on one branch, as a push or a commit would make it.
      const tree = await gitIn(repo, ['rev-parse', `${original}^{tree}`]);
      const date = `@${benchNow - 600 + round} +0000`;
      const moved = await gitIn(repo, ['commit-tree', tree, '-p', original, '-m', `bench move ${round}`], { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@example.com', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@example.com' });
      await gitIn(repo, ['update-ref', moving, moved]);
      started = performance.now();
      const warm = await engine.compute(query);
      warmMs.push(performance.now() - started);
      if (warm.state !== 'ok' || warm.branches.find((entry) => `refs/heads/${entry.branch}` === moving)?.tip !== moved) throw new Error('the warm recompute missed the moved ref');

      started = performance.now();
      const naive = new Map<string, string>();
      for (const ref of refs) {
        let baseline = await gitIn(repo, ['rev-list', `--before=@${boundary}`, '-1', '--end-of-options', ref]);
        if (baseline === '') baseline = await gitIn(repo, ['rev-list', '--max-parents=0', '-1', '--end-of-options', ref]);
        naive.set(ref, baseline);
      }
      naiveMs.push(performance.now() - started);
      agreeing = warm.branches.filter((entry) => naive.get(`refs/heads/${entry.branch}`) === entry.baseline.sha).length;
      engine.close();
      await gitIn(repo, ['update-ref', moving, original]);
    }
  } finally {
    await gitIn(repo, ['update-ref', moving, original]);
    await rm(cacheDir, { recursive: true, force: true });
  }
  return { commits, branches: refs.length, uncachedMs, coldMs, warmMs, naiveMs, agreeing };
}

export async function baselinesSection(rounds: number): Promise<void> {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  const result = await benchBaselines(rounds);
  console.log(`\nbaselines: ${result.branches} branches on a ${result.commits}-commit repository, ${rounds} rounds`);
  console.log(`  engine, nothing cached (baselines, counts, files) ${result.uncachedMs.map(ms).join('  ')}   median ${ms(median(result.uncachedMs))}`);
  console.log(`  engine, cold: new engine, on-disk cache        ${result.coldMs.map(ms).join('  ')}   median ${ms(median(result.coldMs))}`);
  console.log(`  engine, warm (after one ref moved)           ${result.warmMs.map(ms).join('  ')}   median ${ms(median(result.warmMs))}`);
  console.log(`  naive: one git rev-list per branch           ${result.naiveMs.map(ms).join('  ')}   median ${ms(median(result.naiveMs))}`);
  console.log(`  ratio naive / nothing cached ${(median(result.naiveMs) / median(result.uncachedMs)).toFixed(2)}   naive / cold ${(median(result.naiveMs) / median(result.coldMs)).toFixed(2)}   naive / warm ${(median(result.naiveMs) / median(result.warmMs)).toFixed(1)}`);
  console.log(`  load average at the end: ${os.loadavg().map((value) => value.toFixed(2)).join(' ')}`);
  console.log(`  baselines equal to git's: ${result.agreeing}/${result.branches}`);
}

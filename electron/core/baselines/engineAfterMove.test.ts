/**
 * The engine after refs move, when a running cat-file (movedTips.ts) answers first: whatever the
 * refs did, the answer is git's, as a new engine (which has no cat-file yet) gives it.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureRepo, engineFacts, fastImportStream, git, gitFacts, loggingGit, type FixtureCommit } from './gitFixtures.js';
import { RepoBaselineEngine, type BaselineQuery } from './index.js';

const DAY = 86_400;
const D = 19_676 * DAY;
const H = 3600;
const query: BaselineQuery = { intervalSeconds: DAY, timeSource: 'wall-clock', branchPattern: null, now: D + 12 * H };

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-after-move-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
async function fixture(): Promise<{ dir: string; shas: string[]; pids: () => Promise<number[]>; program: string }> {
  const dir = path.join(root, `repo-${(counter += 1)}`);
  await mkdir(dir);
  const commits: FixtureCommit[] = [{ ref: 'refs/heads/main', committer: D - 10 * H, parents: [] }];
  for (let i = 1; i < 16; i += 1) commits.push({ ref: 'refs/heads/main', committer: D - 10 * H + i * H, parents: [i] });
  const shas = await createFixtureRepo(dir, commits, { topic: 8, old: 3, gone: 12 });
  // A git that notes the process id of each long-lived cat-file, so a test can kill it.
  const pidLog = `${dir}-cat-file.pids`;
  const program = `${dir}-git.sh`;
  await writeFile(program, `#!/bin/sh\ncase " $* " in *" cat-file --batch-command "*) echo $$ >> '${pidLog}' ;; esac\nexec git "$@"\n`, { mode: 0o755 });
  await writeFile(pidLog, '');
  const pids = async () => (await readFile(pidLog, 'utf8')).split('\n').filter(Boolean).map(Number);
  return { dir, shas, pids, program };
}

async function expectGitsAnswer(engine: RepoBaselineEngine, dir: string): Promise<void> {
  const result = await engine.compute(query);
  expect(result.state, result.message ?? '').toBe('ok');
  expect(result).toEqual(await new RepoBaselineEngine(dir).compute(query));
  expect(engineFacts(result.branches)).toEqual(await gitFacts(dir, result.branches));
}

const commitOn = async (dir: string, parents: readonly string[], message: string) => (await git(dir, ['commit-tree', `${parents[0]}^{tree}`, ...parents.flatMap((sha) => ['-p', sha]), '-m', message])).trim();

describe('the engine after refs move, with a running cat-file', () => {
  it('agrees with git when a branch gains a merge, goes back, is deleted, is new, or names a tag', async () => {
    const { dir, shas, program } = await fixture();
    const engine = new RepoBaselineEngine(dir, { git: program });
    await engine.compute(query);
    await expectGitsAnswer(engine, dir); // the whole graph, read on the second computation (no cache dir)

    const side = await commitOn(dir, [shas[5] as string], 'side');
    await git(dir, ['update-ref', 'refs/heads/topic', await commitOn(dir, [shas[7] as string, side], 'merge')]);
    await git(dir, ['update-ref', 'refs/heads/old', shas[1] as string]);
    await git(dir, ['update-ref', '-d', 'refs/heads/gone']);
    await git(dir, ['update-ref', 'refs/heads/new', await commitOn(dir, [shas[14] as string], 'new')]);
    await expectGitsAnswer(engine, dir);

    // A branch file naming an annotated tag (git's own commands refuse to write one): left out,
    // as for-each-ref's object type leaves it out of a new engine's answer.
    await git(dir, ['tag', '-a', '-m', 'a tag', 'v1', shas[9] as string]);
    await writeFile(path.join(dir, '.git', 'refs', 'heads', 'old'), await git(dir, ['rev-parse', 'refs/tags/v1']));
    await writeFile(path.join(dir, '.git', 'refs', 'heads', 'tree'), await git(dir, ['rev-parse', `${shas[2]}^{tree}`]));
    await expectGitsAnswer(engine, dir);
    expect((await engine.compute(query)).branches.map((entry) => entry.branch).sort()).toEqual(['main', 'new', 'topic']);
    engine.close();
  }, 30_000);

  it('answers as git when its cat-file was killed, and starts another for the next computation', async () => {
    const { dir, shas, pids, program } = await fixture();
    const engine = new RepoBaselineEngine(dir, { git: program });
    await engine.compute(query);
    await expectGitsAnswer(engine, dir);
    const [first] = await pids();
    expect(first).toBeGreaterThan(0);
    process.kill(first as number, 'SIGKILL');

    await git(dir, ['update-ref', 'refs/heads/topic', await commitOn(dir, [shas[8] as string], 'after the kill')]);
    await expectGitsAnswer(engine, dir);
    await git(dir, ['update-ref', 'refs/heads/topic', await commitOn(dir, [shas[9] as string], 'with the new one')]);
    await expectGitsAnswer(engine, dir);
    expect((await pids()).length).toBeGreaterThan(1);
    engine.close();
  }, 30_000);

  it('agrees with git in a SHA-256 repository', async () => {
    const dir = path.join(root, `repo-${(counter += 1)}`);
    await mkdir(dir);
    await git(dir, ['init', '-q', '--object-format=sha256', '-b', 'main']);
    const commits: FixtureCommit[] = [{ ref: 'refs/heads/main', committer: D - 10 * H, parents: [] }];
    for (let i = 1; i < 8; i += 1) commits.push({ ref: 'refs/heads/main', committer: D - 10 * H + i * H, parents: [i] });
    await git(dir, ['fast-import', '--quiet'], fastImportStream(commits, { topic: 4 }));
    const gitLog = await loggingGit(dir);
    const engine = new RepoBaselineEngine(dir, { git: gitLog.program });
    await engine.compute(query);
    await expectGitsAnswer(engine, dir);
    const tip = (await git(dir, ['rev-parse', 'refs/heads/topic'])).trim();
    expect(tip).toHaveLength(64);
    const side = await commitOn(dir, [tip], 'side');
    await git(dir, ['update-ref', 'refs/heads/topic', await commitOn(dir, [tip, side], 'merge')]);
    await gitLog.clear();
    await expectGitsAnswer(engine, dir);
    // The new commits came from the running cat-file, the files changed from the running diff-tree.
    expect(await gitLog.calls()).toEqual(['for-each-ref']);
    engine.close();
  }, 30_000);

  it('leaves new commits to rev-list when grafts change parents, and reads everything again when a replace ref appears', async () => {
    const { dir, shas, program } = await fixture();
    const engine = new RepoBaselineEngine(dir, { git: program });
    await engine.compute(query);
    await expectGitsAnswer(engine, dir);

    // A graft makes the new commit a root for git (cat-file's raw object still names a parent).
    const grafted = await commitOn(dir, [shas[10] as string], 'grafted');
    await writeFile(path.join(dir, '.git', 'info', 'grafts'), `${grafted}\n`);
    await git(dir, ['update-ref', 'refs/heads/topic', grafted]);
    await expectGitsAnswer(engine, dir);
    expect((await engine.compute(query)).branches.find((entry) => entry.branch === 'topic')?.rootFallback).toBe(true);
    await rm(path.join(dir, '.git', 'info', 'grafts'));

    // A replace ref gives a commit other parents: the graph is read again, and cat-file restarted.
    const replacement = await commitOn(dir, [shas[2] as string], 'replacement');
    await git(dir, ['update-ref', 'refs/heads/topic', shas[12] as string]);
    await git(dir, ['replace', shas[11] as string, replacement]);
    await expectGitsAnswer(engine, dir);
    engine.close();
  }, 30_000);
});

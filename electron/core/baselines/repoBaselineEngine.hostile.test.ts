/**
 * The engine against repositories a user may really have but the happy path never meets: commit
 * dates git stores outside what a date can show (before 1970, which git reads as far in the
 * future, or after year 9999), thousands of branches on one commit, and a commit subject of a
 * megabyte, and branch names that are not UTF-8. Each once made the answer unusable: a RangeError, a reply the contract refuses
 * (one such repository broke `baselines.list` for every tracked one), or a reply too large for
 * a string (the core then answered nothing at all).
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BranchBaselineSchema } from '../../ipc/baselinesContract.js';
import { MAX_SHARED_WITH } from './baselineResult.js';
import { MAX_SUBJECT_LENGTH } from './commitDetails.js';
import { createFixtureRepo, git, oracleBaseline } from './gitFixtures.js';
import { RepoBaselineEngine, type ComputedRepoBaselines } from './index.js';

const DAY = 86_400;
const H = 3600;
/** 2023-11-15 00:00:00 UTC. */
const D = 19_676 * DAY;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-baselines-hostile-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const query = (timeSource: 'wall-clock' | 'tip-commit', now = D + H) => ({ intervalSeconds: DAY, timeSource, branchPattern: null, now });

function branch(result: ComputedRepoBaselines, name: string) {
  const found = result.branches.find((entry) => entry.branch === name);
  if (!found) throw new Error(`no branch ${name} in ${result.branches.map((entry) => entry.branch).join(', ')}`);
  return found;
}

/** A commit object written as is: git's own commands refuse such dates, an old import does not. */
async function rawCommit(dir: string, tree: string, time: string, parent: string | null, subject: string): Promise<string> {
  const body = `tree ${tree}\n${parent ? `parent ${parent}\n` : ''}author A <a@example.com> ${time} +0000\ncommitter C <c@example.com> ${time} +0000\n\n${subject}\n`;
  return (await git(dir, ['hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], body)).trim();
}

describe('RepoBaselineEngine with hostile repositories', () => {
  it('keeps commit dates before 1970 or after 9999 within what the contract and a date can hold, agreeing with git', async () => {
    const dir = path.join(root, 'dates');
    await mkdir(dir);
    await git(dir, ['init', '-q', '-b', 'main']);
    const tree = (await git(dir, ['write-tree'])).trim();
    const old = await rawCommit(dir, tree, '-157766400', null, 'dated 1965');
    const mid = await rawCommit(dir, tree, String(D - H), old, 'mid');
    const future = await rawCommit(dir, tree, '99999999999999', mid, 'dated in the year 3 million');
    await git(dir, ['update-ref', 'refs/heads/main', future]);
    await git(dir, ['update-ref', 'refs/heads/old', old]);

    for (const timeSource of ['wall-clock', 'tip-commit'] as const) {
      for (const cacheDir of [undefined, path.join(root, `cache-${timeSource}`)]) {
        const result = await new RepoBaselineEngine(dir, cacheDir ? { cacheDir } : {}).compute(query(timeSource));
        expect(result.state, result.message ?? '').toBe('ok');
        expect(result.branches.map((entry) => entry.branch).sort()).toEqual(['main', 'old']);
        const checked = z.array(BranchBaselineSchema.omit({ prebuild: true })).safeParse(result.branches);
        expect(checked.success, checked.error?.message).toBe(true);
        for (const entry of result.branches) {
          for (const time of [entry.tipCommitTime, entry.time, entry.boundary, entry.nextRollover, entry.baseline.commitTime, entry.baseline.authorTime]) {
            expect(Number.isNaN(new Date(time * 1000).getTime()), `${entry.branch}: ${time}`).toBe(false);
          }
        }
      }
    }
    // git compares its dates unsigned: a date before 1970 is after every boundary.
    const wall = await new RepoBaselineEngine(dir).compute(query('wall-clock'));
    expect(branch(wall, 'main').baseline.sha).toBe(mid);
    expect(branch(wall, 'old')).toMatchObject({ rootFallback: true, baseline: { sha: old } });
    for (const entry of wall.branches) {
      expect(entry.baseline.sha).toBe((await oracleBaseline(dir, `refs/heads/${entry.branch}`, entry.boundary)).baseline);
    }
  });

  it('gives branches whose names are not UTF-8 a name each, so one is never shown or prebuilt for another', async () => {
    const dir = path.join(root, 'latin1');
    await mkdir(dir);
    const [first, second] = await createFixtureRepo(dir, [
      { ref: 'refs/heads/main', committer: D - 2 * H, parents: [] },
      { ref: 'refs/heads/main', committer: D - H, parents: [1] },
    ]);
    // "café" and "cafè" as Latin-1 bytes (an old repository's names): both decode to "caf\uFFFD".
    await execa('git', ['-C', dir, 'update-ref', '--stdin'], { input: Buffer.from(`create refs/heads/caf\xe9 ${first}\ncreate refs/heads/caf\xe8 ${second}\n`, 'latin1') });

    const result = await new RepoBaselineEngine(dir).compute(query('wall-clock'));
    const names = result.branches.map((entry) => entry.branch);
    expect(new Set(names).size).toBe(names.length);
    // git lists refs in byte order: 0xE8 (cafè) before 0xE9 (café).
    expect(branch(result, 'caf\uFFFD').tip).toBe(second);
    expect(branch(result, 'caf\uFFFD (2)').tip).toBe(first);
    expect(result.groups.flatMap((group) => group.branches).sort()).toEqual([...names].sort());
  });

  it('keeps the answer small with thousands of branches on one commit: sharedWith names a few, the group all', async () => {
    const dir = path.join(root, 'many');
    await mkdir(dir);
    const [only] = await createFixtureRepo(dir, [{ ref: 'refs/heads/main', committer: D - H, parents: [] }]);
    const names = Array.from({ length: 3000 }, (_, i) => `b/${i}`);
    await git(dir, ['update-ref', '--stdin'], names.map((name) => `create refs/heads/${name} ${only}\n`).join(''));

    const result = await new RepoBaselineEngine(dir).compute(query('wall-clock'));
    expect(result.branches).toHaveLength(3001);
    expect(result.groups).toHaveLength(1);
    expect([...(result.groups[0]?.branches ?? [])].sort()).toEqual(['main', ...names].sort());
    for (const entry of result.branches) {
      expect(entry.sharedWith).toHaveLength(MAX_SHARED_WITH);
      expect(entry.sharedWith).not.toContain(entry.branch);
      expect(entry.sharedCount).toBe(3000);
    }
    // Every name in every branch's list was 9 million strings, 80 MB of JSON; 10,000 branches broke the reply.
    expect(JSON.stringify(result).length).toBeLessThan(5_000_000);
  }, 60_000);

  it('cuts a commit subject of a megabyte to a line, from recent history and from the whole graph alike', async () => {
    const dir = path.join(root, 'huge-subject');
    await mkdir(dir);
    const subject = `${'long '.repeat(200_000)}end`;
    await createFixtureRepo(dir, [{ ref: 'refs/heads/main', committer: D - H, parents: [], message: `${subject}\n\nbody` }]);
    for (const timeSource of ['wall-clock', 'tip-commit'] as const) {
      const shown = branch(await new RepoBaselineEngine(dir).compute(query(timeSource)), 'main').baseline.subject;
      expect(shown.length, timeSource).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
      expect(shown.startsWith('long long ')).toBe(true);
      expect(shown.endsWith('…')).toBe(true);
    }
    // A plain subject is left as git has it.
    const plain = path.join(root, 'plain-subject');
    await mkdir(plain);
    await createFixtureRepo(plain, [{ ref: 'refs/heads/main', committer: D - H, parents: [], message: 'Fix the parser' }]);
    expect(branch(await new RepoBaselineEngine(plain).compute(query('tip-commit')), 'main').baseline.subject).toBe('Fix the parser');
  });

  it("keeps git's reason when it stops reading a tracked repository, with what git says to do", async () => {
    const dir = path.join(root, 'owned-elsewhere');
    await mkdir(dir);
    await createFixtureRepo(dir, [{ ref: 'refs/heads/main', committer: D - H, parents: [] }]);
    // As git answers once the repository changed owner (a real chown needs root).
    const program = path.join(root, 'dubious-git.sh');
    const lines = [`fatal: detected dubious ownership in repository at '${dir}'`, 'To add an exception for this directory, call:', '', `\tgit config --global --add safe.directory ${dir}`];
    await writeFile(program, `#!/bin/sh\nprintf '%s\\n' ${lines.map((line) => `'${line}'`).join(' ')} >&2\nexit 128\n`);
    await chmod(program, 0o755);
    const result = await new RepoBaselineEngine(dir, { git: program }).compute(query('wall-clock'));
    expect(result.state).toBe('error');
    expect(result.message).toMatch(/detected dubious ownership/);
    expect(result.message).toContain(`git config --global --add safe.directory ${dir}`);
  });
});

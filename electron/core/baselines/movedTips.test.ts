import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatFileBatch } from './catFileBatch.js';
import { createFixtureRepo, git, type FixtureCommit } from './gitFixtures.js';
import { parseCommit, readMovedTips } from './movedTips.js';
import type { TrackedTip } from './repoRefs.js';

const T = 1_700_000_000;
const tree = 'tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const parent = (n: number) => `parent ${String(n).repeat(40)}`;
const author = 'author A <a@example.com> 1700000000 +0000';

describe('parseCommit', () => {
  it('reads parents and the committer time of plain commits, and declines what git would read differently', () => {
    const parse = (...lines: string[]) => parseCommit(Buffer.from(lines.join('\n')));
    expect(parse(tree, author, 'committer C <c@example.com> 1700000123 +0100', '', 'root')).toEqual({ parents: [], time: 1_700_000_123 });
    expect(parse(tree, parent(1), parent(2), parent(3), author, 'committer C O Mitter <c@example.com> 1700000124 -0700', 'gpgsig -----BEGIN PGP SIGNATURE-----', ' x', '', 'octopus')).toEqual({
      parents: ['1'.repeat(40), '2'.repeat(40), '3'.repeat(40)],
      time: 1_700_000_124,
    });
    expect(parse(tree, `parent ${'a'.repeat(64)}`, author, 'committer C <c@example.com> 5 +0000')).toEqual({ parents: ['a'.repeat(64)], time: 5 });
    // Left to rev-list: a date git reads as 0 or not at all, a header out of order, a damaged id.
    expect(parse(tree, author, 'committer C <c@example.com> +0000', '', 'x')).toBeNull();
    expect(parse(tree, author, 'committer C <c@example.com> 17000 +0000 junk')).toBeNull();
    expect(parse(tree, 'committer C <c@example.com> 1 +0000', author)).toBeNull();
    expect(parse(tree, author, parent(1), 'committer C <c@example.com> 1 +0000')).toBeNull();
    expect(parse(tree, 'parent 123', author, 'committer C <c@example.com> 1 +0000')).toBeNull();
    expect(parse(author, 'committer C <c@example.com> 1 +0000')).toBeNull();
  });
});

describe('readMovedTips', () => {
  let root: string;
  let dir: string;
  let shas: string[];
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'bb-moved-'));
    dir = path.join(root, 'repo');
    await mkdir(dir);
    const commits: FixtureCommit[] = [{ ref: 'refs/heads/main', committer: T, parents: [] }];
    for (let i = 1; i < 6; i += 1) commits.push({ ref: 'refs/heads/main', committer: T + i * 60, parents: [i] });
    shas = await createFixtureRepo(dir, commits, { topic: 3, back: 5, gone: 2, tagged: 4 });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads where the known branches point and exactly the commits rev-list would list, and declines a long history', async () => {
    const before: TrackedTip[] = ['main', 'topic', 'back', 'gone', 'tagged'].map((branch) => ({ branch, detached: false, tip: '' }));
    for (const tracked of before) tracked.tip = (await git(dir, ['rev-parse', `refs/heads/${tracked.branch}`])).trim();
    const known = new Set((await git(dir, ['rev-list', '--all'])).trim().split('\n'));

    // topic gains a side line and a merge of it; back goes back to a known commit; gone is
    // deleted; tagged now names an annotated tag; main stays.
    const commit = async (message: string, ...parents: string[]) => (await git(dir, ['commit-tree', `${shas[0]}^{tree}`, ...parents.flatMap((sha) => ['-p', sha]), '-m', message])).trim();
    const side = await commit('side', shas[1] as string);
    const side2 = await commit('side 2', side);
    const onTopic = await commit('on topic', shas[2] as string);
    const merge = await commit('merge', onTopic, side2);
    await git(dir, ['update-ref', 'refs/heads/topic', merge]);
    await git(dir, ['update-ref', 'refs/heads/back', shas[1] as string]);
    await git(dir, ['update-ref', '-d', 'refs/heads/gone']);
    await git(dir, ['tag', '-a', '-m', 'a tag', 'v1', shas[3] as string]);
    // git refuses to point a branch at a tag; a ref file written by hand (or another tool) does.
    await writeFile(path.join(dir, '.git', 'refs', 'heads', 'tagged'), await git(dir, ['rev-parse', 'refs/tags/v1']));

    const batch = new CatFileBatch(dir);
    try {
      const moved = await readMovedTips(batch, before, (sha) => known.has(sha));
      expect(moved?.tips).toEqual([
        { branch: 'main', detached: false, tip: shas[5] },
        { branch: 'topic', detached: false, tip: merge },
        { branch: 'back', detached: false, tip: shas[1] },
      ]);
      const revList = (await git(dir, ['rev-list', '--parents', '--timestamp', merge, ...[...known].map((sha) => `^${sha}`)])).trim().split('\n');
      expect(moved?.added).toBe(4);
      expect(moved?.revListLines.trim().split('\n').sort()).toEqual(revList.sort());

      // Four new commits are more than a limit of three: left to rev-list.
      expect(await readMovedTips(batch, before, (sha) => known.has(sha), 3)).toBeNull();
      // A detached HEAD is asked for as HEAD.
      expect((await readMovedTips(batch, [{ branch: 'HEAD', detached: true, tip: shas[0] as string }], () => true))?.tips).toEqual([{ branch: 'HEAD', detached: true, tip: shas[5] }]);
    } finally {
      batch.close();
    }
  });
});

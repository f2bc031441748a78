import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFilesChanged } from './commitDetails.js';
import { DiffTreeBatch } from './diffTreeBatch.js';
import { git } from './gitFixtures.js';
import { GitRunner } from './gitRunner.js';

let root: string;
let dir: string;
const commits: string[] = [];
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-difftree-'));
  dir = path.join(root, 'repo');
  await mkdir(dir);
  await git(dir, ['init', '-q', '-b', 'main']);
  // Paths that look like the answer's own marks: "end", a newline first, "/end" after a newline,
  // a directory of many files, and a commit that changes nothing.
  const file = (name: string, content: string) => `M 100644 inline ${name}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
  const commit = (n: number, files: string[]) => `commit refs/heads/main\nmark :${n}\ncommitter C <c@example.com> ${1_700_000_000 + n} +0000\ndata 2\nc\n${n > 1 ? `from :${n - 1}\n` : ''}${files.join('')}`;
  const stream = [
    commit(1, [file('end', 'a'), file('"\\nstarts with a newline"', 'a')]),
    commit(2, [file('end', 'b'), file('"x\\n/end"', 'b'), file('"\\n/end"', 'b')]),
    commit(3, Array.from({ length: 300 }, (_, i) => file(`many/file-${i}`, 'c'))),
    commit(4, []),
  ].join('');
  await git(dir, ['fast-import', '--quiet', `--export-marks=${root}/marks`], stream);
  for (let n = 1; n <= 4; n += 1) commits.push((await git(dir, ['rev-parse', `main~${4 - n}`])).trim());
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('DiffTreeBatch', () => {
  it('counts what the one-shot diff-tree counts, question after question, paths that look like its marks included', async () => {
    const [c1, c2, c3, c4] = commits as [string, string, string, string];
    const pairs = [
      { tip: c2, baseline: c1 },
      { tip: c4, baseline: c3 },
      { tip: c3, baseline: c1 },
      { tip: c1, baseline: c4 },
      { tip: c4, baseline: c4 },
    ];
    const expected = await readFilesChanged(new GitRunner(dir), pairs);
    expect(expected).toEqual([3, 0, 303, 303, 0]);
    const batch = new DiffTreeBatch(dir);
    try {
      expect(await batch.filesChanged(pairs)).toEqual(expected);
      const one = await Promise.all(pairs.map((pair) => batch.filesChanged([pair])));
      expect(one.flat()).toEqual(expected);
      expect(await batch.filesChanged([])).toEqual([]);
    } finally {
      batch.close();
    }
  });

  it('fails at once for a tip git cannot read, ends with a baseline it cannot read, and refuses what is not a pair of ids', async () => {
    const [c1, c2] = commits as [string, string];
    const missing = '1'.repeat(40);
    const batch = new DiffTreeBatch(dir, { timeoutMs: 60_000 });
    const started = Date.now();
    await expect(batch.filesChanged([{ tip: missing, baseline: c1 }])).rejects.toThrow(/unexpected git diff-tree answer/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(batch.alive).toBe(false);

    const again = new DiffTreeBatch(dir);
    await expect(again.filesChanged([{ tip: c2, baseline: missing }])).rejects.toThrow(/exited/);
    expect(again.alive).toBe(false);

    const third = new DiffTreeBatch(dir);
    await expect(third.filesChanged([{ tip: `${c2}\n${c1}`, baseline: c1 }])).rejects.toThrow(/not a pair of commit ids/);
    await expect(third.filesChanged([{ tip: '--output=/tmp/x', baseline: c1 }])).rejects.toThrow(/not a pair of commit ids/);
    expect(await third.filesChanged([{ tip: c2, baseline: c1 }])).toEqual([3]);
    third.close();
  });
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatFileBatch } from './catFileBatch.js';
import { createFixtureRepo, git } from './gitFixtures.js';

const T = 1_700_000_000;
let root: string;
let dir: string;
let shas: string[];
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-catfile-'));
  dir = path.join(root, 'repo');
  await mkdir(dir);
  shas = await createFixtureRepo(
    dir,
    [
      { ref: 'refs/heads/main', committer: T, parents: [], message: 'first\n\nsizes count bytes: ÿþ € 😀' },
      { ref: 'refs/heads/main', committer: T + 60, parents: [1] },
    ],
    { topic: 1 },
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('CatFileBatch', () => {
  it('resolves ref names and ids, with byte-exact contents, missing names as null, questions answered in the order asked', async () => {
    const batch = new CatFileBatch(dir);
    try {
      const [main, topic, missing, spaced] = await batch.info(['refs/heads/main', 'refs/heads/topic', 'refs/heads/none', 'refs/heads/a b 123']);
      expect(main).toMatchObject({ sha: shas[1], type: 'commit' });
      expect(topic).toMatchObject({ sha: shas[0], type: 'commit' });
      expect(missing).toBeNull();
      expect(spaced).toBeNull();
      // Two questions in flight at once, one with contents of multi-byte characters.
      const [contents, info] = await Promise.all([batch.contents([shas[0] as string, 'refs/heads/main']), batch.info([`${shas[1]}^{tree}`])]);
      expect(contents[0]?.content.equals(await rawObject(shas[0] as string))).toBe(true);
      expect(contents[1]?.content.equals(await rawObject(shas[1] as string))).toBe(true);
      expect(info[0]?.type).toBe('tree');
      expect(await batch.info([])).toEqual([]);
    } finally {
      batch.close();
    }
  });

  it('sees a ref that moved after it started', async () => {
    const batch = new CatFileBatch(dir);
    try {
      expect((await batch.info(['refs/heads/topic']))[0]?.sha).toBe(shas[0]);
      await git(dir, ['update-ref', 'refs/heads/topic', shas[1] as string]);
      expect((await batch.info(['refs/heads/topic']))[0]?.sha).toBe(shas[1]);
    } finally {
      await git(dir, ['update-ref', 'refs/heads/topic', shas[0] as string]);
      batch.close();
    }
  });

  it('refuses a name that would end the line, and says not alive once closed, idle or dead, failing what was asked', async () => {
    const batch = new CatFileBatch(dir);
    await expect(batch.info(['refs/heads/main\ncontents HEAD'])).rejects.toThrow(/not an object name/);
    await expect(batch.info([''])).rejects.toThrow(/not an object name/);
    const pending = batch.contents(Array.from({ length: 2000 }, () => shas[1] as string));
    batch.close();
    await expect(pending).rejects.toThrow(/closed/);
    expect(batch.alive).toBe(false);
    await expect(batch.info(['HEAD'])).rejects.toThrow(/not running/);

    const idle = new CatFileBatch(dir, { idleMs: 50 });
    expect((await idle.info(['HEAD']))[0]?.sha).toBe(shas[1]);
    await until(() => !idle.alive);
    expect(idle.alive).toBe(false);

    // A cat-file that cannot serve (no repository there; a git older than 2.36 without
    // --batch-command likewise) exits: not alive, and what was asked fails instead of hanging.
    const old = new CatFileBatch(path.join(root, 'not-a-repository'));
    await expect(old.info(['HEAD'])).rejects.toThrow();
    await until(() => !old.alive);
    expect(old.alive).toBe(false);
  });

  it('gives up on a git that does not answer in time or answers what cat-file never says', async () => {
    const silent = path.join(root, 'silent-git.sh');
    await writeFile(silent, '#!/bin/sh\nexec cat > /dev/null\n', { mode: 0o755 });
    const stuck = new CatFileBatch(dir, { git: silent, timeoutMs: 100 });
    await expect(stuck.info(['HEAD'])).rejects.toThrow(/did not answer within 100 ms/);
    expect(stuck.alive).toBe(false);

    const babbling = path.join(root, 'babbling-git.sh');
    await writeFile(babbling, '#!/bin/sh\nread line\necho "fatal: this is not what cat-file says"\nexec cat > /dev/null\n', { mode: 0o755 });
    const odd = new CatFileBatch(dir, { git: babbling });
    await expect(odd.info(['HEAD'])).rejects.toThrow(/unexpected git cat-file answer: fatal/);
    expect(odd.alive).toBe(false);
  });
});

async function rawObject(sha: string): Promise<Buffer> {
  const result = await execa('git', ['-C', dir, 'cat-file', 'commit', sha], { encoding: 'buffer', stripFinalNewline: false });
  return Buffer.from(result.stdout);
}

/**
 * Test repositories with controlled committer and author dates, written in one `git fast-import`
 * process (fast for thousands of commits), and `git rev-list` as the oracle the engine is
 * compared with. Used by the engine's tests and the benchmark; never by the app.
 */
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { gitEnvironment } from './gitRunner.js';

export interface FixtureCommit {
  /** The ref fast-import writes (`refs/heads/<name>`); later commits on it continue from it. */
  ref: string;
  /** Committer time, epoch seconds. */
  committer: number;
  /** Author time; the committer time when left out. */
  author?: number;
  message?: string;
  /** Parent marks: the first is the first parent; none makes a root commit. */
  parents: number[];
  /** Paths written with new content (each commit changes at least one). */
  files?: string[];
}

/** Builds the fast-import stream; commit i gets mark i + 1; `branches` point refs/heads/<name> at marks. */
export function fastImportStream(commits: readonly FixtureCommit[], branches: Readonly<Record<string, number>> = {}): string {
  const parts: string[] = [];
  commits.forEach((commit, i) => {
    const message = commit.message ?? `commit ${i + 1}`;
    const files = commit.files ?? [`file-${i + 1}`];
    const [first, ...merges] = commit.parents;
    // A root commit on a ref that already has commits: `reset` empties the ref first, or
    // fast-import would make its current tip the parent.
    if (first === undefined) parts.push(`reset ${commit.ref}\n`);
    parts.push(`commit ${commit.ref}\nmark :${i + 1}\n`);
    parts.push(`author A U Thor <author@example.com> ${commit.author ?? commit.committer} +0000\n`);
    parts.push(`committer C O Mitter <committer@example.com> ${commit.committer} +0000\n`);
    parts.push(`data ${Buffer.byteLength(message)}\n${message}\n`);
    // `from` is always written so a ref's previous tip never becomes an implicit parent.
    if (first !== undefined) parts.push(`from :${first}\n`);
    for (const merge of merges) parts.push(`merge :${merge}\n`);
    for (const file of files) {
      const content = `${file} in commit ${i + 1}\n`;
      parts.push(`M 100644 inline ${file}\ndata ${Buffer.byteLength(content)}\n${content}\n`);
    }
  });
  for (const [name, mark] of Object.entries(branches)) parts.push(`reset refs/heads/${name}\nfrom :${mark}\n\n`);
  return parts.join('');
}

export async function git(repo: string, args: readonly string[], input?: string): Promise<string> {
  const result = await execa('git', ['-C', repo, ...args], { env: gitEnvironment(), extendEnv: false, input: input ?? '', stripFinalNewline: false, maxBuffer: 1_000_000_000 });
  return String(result.stdout);
}

/** A new repository (with a work tree) holding `commits`; returns the sha of each commit, in order. */
export async function createFixtureRepo(dir: string, commits: readonly FixtureCommit[], branches: Readonly<Record<string, number>> = {}): Promise<string[]> {
  await git(dir, ['init', '-q', '-b', 'main']);
  await git(dir, ['fast-import', '--quiet', `--export-marks=${dir}/.git/fixture-marks`], fastImportStream(commits, branches));
  const exported = await readFile(`${dir}/.git/fixture-marks`, 'utf8');
  const shas: string[] = [];
  for (const line of exported.split('\n')) {
    const [mark, sha] = line.split(' ');
    if (mark && sha) shas[Number(mark.slice(1)) - 1] = sha;
  }
  return shas;
}

/** What `git rev-list` says for one ref: FACTS.md section 3 run by git itself. */
export async function oracleBaseline(repo: string, ref: string, boundary: number): Promise<{ baseline: string; rootFallback: boolean }> {
  const before = (await git(repo, ['rev-list', `--before=@${boundary}`, '-1', '--end-of-options', ref])).trim();
  if (before !== '') return { baseline: before, rootFallback: false };
  return { baseline: (await git(repo, ['rev-list', '--max-parents=0', '-1', '--end-of-options', ref])).trim(), rootFallback: true };
}

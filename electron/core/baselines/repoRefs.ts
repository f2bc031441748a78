/**
 * The tips the engine tracks: local branches (one `git for-each-ref`, which also lists replace
 * refs, since they change parents as git sees them) and HEAD when it is detached. Whether HEAD is
 * a branch is read from the HEAD file itself: `ref: refs/...` there is what `git symbolic-ref`
 * would confirm, and every git process spared shortens the path after a ref moves (each costs
 * 5-15 ms to start). Anything else in the file (a detached id, or reftable's `.invalid`
 * placeholder, whose real HEAD lives in the reftable) is left to git.
 *
 * Whether each branch names a commit (a branch may name a tag or a tree) is asked of
 * for-each-ref's `%(objecttype)`, which costs git a lookup per ref, or, when the engine has a
 * running cat-file (catFileBatch.ts), only for the tips its graph does not already hold.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CatFileBatch } from './catFileBatch.js';
import type { GitRunner } from './gitRunner.js';

export interface TrackedTip {
  /** The branch name without `refs/heads/`, or `HEAD` when detached. */
  branch: string;
  detached: boolean;
  tip: string;
}

export interface RepoRefs {
  tips: TrackedTip[];
  /** `<id> NUL <refname>` of each ref under refs/replace/, as a part of the graph's key. */
  replaceRefs: string[];
}

/** Which tips name commits, for a caller that can say sooner than for-each-ref. */
export interface CommitCheck {
  /** Tips known to be commits without asking (the graph holds them). */
  isKnownCommit: (sha: string) => boolean;
  batch: CatFileBatch;
}

/** `branchPattern`: a `for-each-ref` pattern under refs/heads, or null for every local branch. */
export async function readRepoRefs(git: GitRunner, gitDir: string, branchPattern: string | null, check?: CommitCheck): Promise<RepoRefs> {
  const format = check ? '--format=%(objectname)%00%(refname)' : '--format=%(objectname)%00%(objecttype)%00%(refname)';
  const [refsOutput, symbolic] = await Promise.all([git.ok(['for-each-ref', format, branchPattern === null ? 'refs/heads/' : `refs/heads/${branchPattern}`, 'refs/replace/']), headIsSymbolic(gitDir)]);
  let tips: TrackedTip[] = [];
  const replaceRefs: string[] = [];
  for (const line of refsOutput.split('\n')) {
    if (line === '') continue;
    const fields = line.split('\0');
    const [sha = '', type = 'commit', refname = ''] = check ? [fields[0], undefined, fields[1]] : fields;
    if (refname.startsWith('refs/replace/')) replaceRefs.push(`${sha}\0${refname}`);
    else if (type === 'commit' && refname.startsWith('refs/heads/')) tips.push({ branch: refname.slice('refs/heads/'.length), detached: false, tip: sha });
  }
  if (check) {
    const commits = await commitsAmong(git, check.batch, [...new Set(tips.map((tracked) => tracked.tip).filter((sha) => !check.isKnownCommit(sha)))]);
    tips = tips.filter((tracked) => check.isKnownCommit(tracked.tip) || commits.has(tracked.tip));
  }
  tips = withDistinctNames(tips);
  const isSymbolic = symbolic ?? (await git.run(['symbolic-ref', '-q', 'HEAD'])).exitCode === 0;
  if (!isSymbolic) {
    // Detached: HEAD names a commit directly (git checks that it is one).
    const head = await git.run(['rev-parse', '-q', '--verify', 'HEAD^{commit}']);
    if (head.exitCode === 0) tips.push({ branch: 'HEAD', detached: true, tip: head.stdout.trim() });
  }
  return { tips, replaceRefs };
}

/**
 * git keeps a branch name as bytes; one that is not UTF-8 (Latin-1 "caf\xe9" from an old
 * repository) reads back with U+FFFD in place of each bad byte, so "caf\xe9" and "caf\xe8" both
 * become "caf\uFFFD": one entry shown twice, and a prebuild by name could pick the other. Each
 * such name after the first gets " (2)", " (3)"… in git's (byte) order, which is stable while
 * the branches exist. Names without U+FFFD are git's own and never change.
 */
function withDistinctNames(tips: TrackedTip[]): TrackedTip[] {
  if (!tips.some((tracked) => tracked.branch.includes('\uFFFD'))) return tips;
  const taken = new Set(tips.map((tracked) => tracked.branch));
  const seen = new Set<string>();
  return tips.map((tracked) => {
    if (!tracked.branch.includes('\uFFFD') || !seen.has(tracked.branch)) {
      seen.add(tracked.branch);
      return tracked;
    }
    let n = 2;
    while (taken.has(`${tracked.branch} (${n})`)) n += 1;
    const branch = `${tracked.branch} (${n})`;
    taken.add(branch);
    return { ...tracked, branch };
  });
}

/** The commits among `shas`: asked of the running cat-file, or of a one-shot `cat-file --batch-check` if it has gone. */
async function commitsAmong(git: GitRunner, batch: CatFileBatch, shas: readonly string[]): Promise<Set<string>> {
  if (shas.length === 0) return new Set();
  const answers = await batch.info(shas).catch(async () => {
    const output = await git.ok(['cat-file', '--batch-check=%(objectname) %(objecttype)'], shas.join('\n') + '\n');
    return output.split('\n').map((line) => {
      const [sha = '', type = ''] = line.split(' ');
      return { sha, type };
    });
  });
  return new Set(answers.flatMap((answer) => (answer?.type === 'commit' ? [answer.sha] : [])));
}

/** True or false when the HEAD file says; null when git must be asked. */
export async function headIsSymbolic(gitDir: string): Promise<boolean | null> {
  const text = await readFile(path.join(gitDir, 'HEAD'), 'utf8').catch(() => null);
  if (text === null) return null;
  const symbolic = /^ref: (refs\/\S+)\s*$/.exec(text);
  if (symbolic) return symbolic[1] === 'refs/heads/.invalid' ? null : true;
  return /^[0-9a-f]{40}(?:[0-9a-f]{24})?\s*$/.test(text) ? false : null;
}

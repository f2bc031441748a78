/**
 * The tips the engine tracks: local branches (one `git for-each-ref`, which also lists replace
 * refs, since they change parents as git sees them) and HEAD when it is detached. Whether HEAD is
 * a branch is read from the HEAD file itself: `ref: refs/...` there is what `git symbolic-ref`
 * would confirm, and every git process spared shortens the path after a ref moves (each costs
 * 5-15 ms to start). Anything else in the file (a detached id, or reftable's `.invalid`
 * placeholder, whose real HEAD lives in the reftable) is left to git.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GitRunner } from './gitRunner.js';

export interface TrackedTip {
  /** The branch name without `refs/heads/`, or `HEAD` when detached. */
  branch: string;
  detached: boolean;
  tip: string;
}

export interface RepoRefs {
  tips: TrackedTip[];
  /** `for-each-ref` lines of refs/replace/, as a part of the graph's key. */
  replaceRefs: string[];
}

/** `branchPattern`: a `for-each-ref` pattern under refs/heads, or null for every local branch. */
export async function readRepoRefs(git: GitRunner, gitDir: string, branchPattern: string | null): Promise<RepoRefs> {
  const [refsOutput, symbolic] = await Promise.all([
    git.ok(['for-each-ref', '--format=%(objectname)%00%(objecttype)%00%(refname)', branchPattern === null ? 'refs/heads/' : `refs/heads/${branchPattern}`, 'refs/replace/']),
    headIsSymbolic(gitDir),
  ]);
  const tips: TrackedTip[] = [];
  const replaceRefs: string[] = [];
  for (const line of refsOutput.split('\n')) {
    if (line === '') continue;
    const [sha = '', type = '', refname = ''] = line.split('\0');
    if (refname.startsWith('refs/replace/')) replaceRefs.push(line);
    else if (type === 'commit' && refname.startsWith('refs/heads/')) tips.push({ branch: refname.slice('refs/heads/'.length), detached: false, tip: sha });
  }
  const isSymbolic = symbolic ?? (await git.run(['symbolic-ref', '-q', 'HEAD'])).exitCode === 0;
  if (!isSymbolic) {
    // Detached: HEAD names a commit directly (git checks that it is one).
    const head = await git.run(['rev-parse', '-q', '--verify', 'HEAD^{commit}']);
    if (head.exitCode === 0) tips.push({ branch: 'HEAD', detached: true, tip: head.stdout.trim() });
  }
  return { tips, replaceRefs };
}

/** True or false when the HEAD file says; null when git must be asked. */
export async function headIsSymbolic(gitDir: string): Promise<boolean | null> {
  const text = await readFile(path.join(gitDir, 'HEAD'), 'utf8').catch(() => null);
  if (text === null) return null;
  const symbolic = /^ref: (refs\/\S+)\s*$/.exec(text);
  if (symbolic) return symbolic[1] === 'refs/heads/.invalid' ? null : true;
  return /^[0-9a-f]{40}(?:[0-9a-f]{24})?\s*$/.test(text) ? false : null;
}

/**
 * Where the branches of the latest computation point now, and the commits they gained, read
 * from a running `git cat-file --batch-command` (catFileBatch.ts) while `git for-each-ref` starts: after
 * one ref moves, the engine then waits for one new git process instead of three. The answer is
 * a guess for the engine to check: a branch created since is not asked about, and a ref that
 * moves again before for-each-ref reads it is caught there (the engine then reads what is
 * missing with `git rev-list`).
 *
 * The new commits come back as `rev-list --parents --timestamp` lines (what CommitGraph reads),
 * and only when the walk reached commits the graph already holds: a history that does not join
 * the known one within `limit` commits is left to rev-list, which reads it faster.
 */
import type { CatFileBatch } from './catFileBatch.js';
import type { TrackedTip } from './repoRefs.js';

export interface MovedTips {
  /** The asked branches that still point at a commit, with that commit. */
  tips: TrackedTip[];
  /** The commits not in the graph yet, each once, as `rev-list --parents --timestamp` lines. */
  revListLines: string;
  added: number;
}

/** `isLoaded`: whether the graph holds a commit with its whole history. Null: left to rev-list. */
export async function readMovedTips(batch: CatFileBatch, branches: readonly TrackedTip[], isLoaded: (sha: string) => boolean, limit = 1000): Promise<MovedTips | null> {
  const answers = await batch.info(tipNames(branches));
  const tips: TrackedTip[] = [];
  const seen = new Set<string>();
  let wanted: string[] = [];
  branches.forEach((tracked, i) => {
    const answer = answers[i];
    if (!answer || answer.type !== 'commit') return;
    tips.push({ ...tracked, tip: answer.sha });
    if (answer.sha !== tracked.tip && !isLoaded(answer.sha) && !seen.has(answer.sha)) {
      seen.add(answer.sha);
      wanted.push(answer.sha);
    }
  });
  const lines: string[] = [];
  while (wanted.length > 0) {
    const read = await batch.contents(wanted);
    const asked = wanted;
    wanted = [];
    for (const [i, commit] of read.entries()) {
      // A commit git cannot read (a shallow or damaged repository): rev-list knows what to do.
      if (!commit || commit.type !== 'commit' || commit.sha !== asked[i]) return null;
      const parsed = parseCommit(commit.content);
      if (parsed === null) return null;
      lines.push(`${parsed.time} ${commit.sha}${parsed.parents.map((parent) => ` ${parent}`).join('')}`);
      for (const parent of parsed.parents) {
        if (isLoaded(parent) || seen.has(parent)) continue;
        seen.add(parent);
        wanted.push(parent);
      }
    }
    if (seen.size > limit) return null;
  }
  return { tips, revListLines: lines.length > 0 ? lines.join('\n') + '\n' : '', added: lines.length };
}

/** The names cat-file resolves to the branches' tips. */
export function tipNames(branches: readonly TrackedTip[]): string[] {
  return branches.map((tracked) => (tracked.detached ? 'HEAD' : `refs/heads/${tracked.branch}`));
}

/**
 * Parents and committer time from a commit object's header: `parent` lines follow `tree`,
 * `author` and `committer` follow them, and the time is the number after the committer's
 * `<email>`. Anything less plain (a date git would read as 0, a header out of order) is null:
 * rev-list then reads that commit, so the graph never holds a time git would not give it.
 */
export function parseCommit(content: Buffer): { parents: string[]; time: number } | null {
  const headerEnd = content.indexOf('\n\n');
  const lines = content.toString('latin1', 0, headerEnd === -1 ? content.length : headerEnd).split('\n');
  if (!/^tree [0-9a-f]+$/.test(lines[0] ?? '')) return null;
  const parents: string[] = [];
  let index = 1;
  for (; (lines[index] ?? '').startsWith('parent '); index += 1) {
    const parent = (lines[index] as string).slice('parent '.length);
    if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(parent)) return null;
    parents.push(parent);
  }
  if (!(lines[index] ?? '').startsWith('author ')) return null;
  const committer = /^committer [^<>\n]*<[^<>\n]*> ([0-9]{1,15}) [+-][0-9]{4}$/.exec(lines[index + 1] ?? '');
  return committer ? { parents, time: Number(committer[1]) } : null;
}

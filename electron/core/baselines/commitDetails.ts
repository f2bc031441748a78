/**
 * What the commit graph cannot tell, asked of git in one process each: a baseline's author
 * time and subject, and how many files differ between a baseline and its tip.
 */
import { LATEST_COMMIT_TIME } from './commitGraph.js';
import { GitFailure, type GitRunner } from './gitRunner.js';

export interface CommitDetails {
  subject: string;
  authorTime: number;
}

/**
 * The longest subject an answer carries, the ellipsis included. git's subject is the message's
 * whole first paragraph, which a generated commit can make megabytes long; each branch's answer
 * repeats it, so a few hundred branches on such a baseline made a reply no string could hold.
 */
export const MAX_SUBJECT_LENGTH = 300;

export function shortSubject(subject: string): string {
  if (subject.length <= MAX_SUBJECT_LENGTH) return subject;
  let end = MAX_SUBJECT_LENGTH - 1;
  // Never half of a surrogate pair (an emoji): the cut text must stay valid UTF-16.
  const last = subject.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${subject.slice(0, end)}…`;
}

/** An author time as git printed it, within what the contract and a Date hold (git prints none for a date before 1970). */
export function authorTimeOf(text: string): number {
  const time = Number(text);
  return Number.isFinite(time) ? Math.min(Math.max(time, 0), LATEST_COMMIT_TIME) : 0;
}

/** Author time and subject of each commit, by id. */
export async function readCommitDetails(git: GitRunner, shas: readonly string[]): Promise<Map<string, CommitDetails>> {
  const details = new Map<string, CommitDetails>();
  if (shas.length === 0) return details;
  const output = await git.ok(['rev-list', '--no-walk=unsorted', '--no-commit-header', '--format=%H%x00%at%x00%s%x00', '--stdin'], shas.join('\n') + '\n');
  // Each record ends with NUL and a newline; subjects cannot hold NUL.
  for (const record of output.split('\0\n')) {
    const [sha, authorTime, subject] = record.split('\0');
    if (sha && authorTime !== undefined && subject !== undefined) details.set(sha.trim(), { subject: shortSubject(subject), authorTime: authorTimeOf(authorTime) });
  }
  return details;
}

/** What the files-changed count asks of diff-tree, here and in a running diff-tree (diffTreeBatch.ts). */
export const filesChangedOptions: readonly string[] = ['-r', '--no-renames', '--name-only', '-z', '--always', '--no-textconv', '--no-ext-diff'];

/** `git diff --no-renames --name-only baseline tip | wc -l` for every pair, in pair order. */
export async function readFilesChanged(git: GitRunner, pairs: readonly { tip: string; baseline: string }[]): Promise<number[]> {
  if (pairs.length === 0) return [];
  // One line "tip baseline" per pair: diff-tree diffs the tip against the baseline given as
  // its parent. Every pair prints a header ("/", which no path can be) even when nothing changed.
  const output = await git.ok(['diff-tree', '--stdin', ...filesChangedOptions, '--format=tformat:/'], pairs.map((pair) => `${pair.tip} ${pair.baseline}`).join('\n') + '\n');
  let pair = -1;
  const counts = pairs.map(() => 0);
  for (const field of output.split('\0')) {
    if (field === '/') pair += 1;
    else if (field !== '' && field !== '\n' && pair >= 0) counts[pair] = (counts[pair] as number) + 1;
  }
  if (pair !== pairs.length - 1) throw new GitFailure(`git diff-tree answered for ${pair + 1} of ${pairs.length} pairs`, null);
  return counts;
}

/**
 * Test repositories with controlled committer and author dates, written in one `git fast-import`
 * process (fast for thousands of commits), and `git rev-list` as the oracle the engine is
 * compared with. Used by the engine's tests and the benchmark; never by the app.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
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

/** One branch's answer as the engine words it, field by field. */
export interface BranchFacts {
  branch: string;
  baseline: string;
  rootFallback: boolean;
  commitsSince: number;
  offFirstParent: boolean;
  filesChanged: number;
  subject: string;
  commitTime: number;
  authorTime: number;
}

/** What git itself says for each entry's ref, tip and boundary: the engine's answer should equal it. */
export async function gitFacts(repo: string, entries: readonly { branch: string; detached: boolean; tip: string; boundary: number }[]): Promise<BranchFacts[]> {
  const facts: BranchFacts[] = [];
  for (const entry of entries) {
    const { baseline, rootFallback } = await oracleBaseline(repo, entry.detached ? 'HEAD' : `refs/heads/${entry.branch}`, entry.boundary);
    const [commitTime = '', authorTime = '', subject = ''] = (await git(repo, ['log', '-1', '--format=%ct%x00%at%x00%s', baseline])).trim().split('\0');
    facts.push({
      branch: entry.branch,
      baseline,
      rootFallback,
      commitsSince: Number((await git(repo, ['rev-list', '--count', `${baseline}..${entry.tip}`])).trim()),
      offFirstParent: !(await git(repo, ['rev-list', '--first-parent', entry.tip])).split('\n').includes(baseline),
      filesChanged: (await git(repo, ['diff', '--no-renames', '--name-only', '-z', baseline, entry.tip])).split('\0').filter(Boolean).length,
      subject,
      commitTime: Number(commitTime),
      authorTime: Number(authorTime),
    });
  }
  return facts;
}

/** The same fields from the engine's answer. */
export function engineFacts(branches: readonly { branch: string; baseline: { sha: string; subject: string; commitTime: number; authorTime: number }; rootFallback: boolean; commitsSince: number; offFirstParent: boolean; filesChanged: number }[]): BranchFacts[] {
  return branches.map((entry) => ({
    branch: entry.branch,
    baseline: entry.baseline.sha,
    rootFallback: entry.rootFallback,
    commitsSince: entry.commitsSince,
    offFirstParent: entry.offFirstParent,
    filesChanged: entry.filesChanged,
    subject: entry.baseline.subject,
    commitTime: entry.baseline.commitTime,
    authorTime: entry.baseline.authorTime,
  }));
}

/** The subcommand after `-C <dir>` and any `-c <setting>`; the engine's long-lived processes (longLivedGit.ts) marked as such. */
const loggingScript = (log: string) => `#!/bin/sh
skip=
for arg in "$@"; do
  if [ -n "$skip" ]; then skip=; continue; fi
  case "$arg" in -C|-c) skip=1; continue ;; esac
  sub="$arg"
  break
done
case " $* " in *" --batch-command "*|*"--format=tformat:/%H"*) sub="kept running: $sub" ;; esac
printf '%s\\n' "$sub" >> '${log}'
exec git "$@"
`;

/**
 * A git that writes each call's subcommand to a log next to `dir`, to see what an engine asks
 * of git. `calls` leaves out the processes the engine keeps running (cat-file, diff-tree),
 * which it starts between computations (when their log lines land is a race with the test);
 * `started` counts those.
 */
export async function loggingGit(dir: string): Promise<{ program: string; calls: () => Promise<string[]>; started: () => Promise<number>; clear: () => Promise<void> }> {
  const log = path.join(dir, '..', `${path.basename(dir)}-calls.log`);
  const program = path.join(dir, '..', `${path.basename(dir)}-git.sh`);
  await writeFile(program, loggingScript(log));
  await chmod(program, 0o755);
  await writeFile(log, '');
  const lines = async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean).sort();
  return {
    program,
    calls: async () => (await lines()).filter((call) => !call.startsWith('kept running: ')),
    started: async () => (await lines()).filter((call) => call.startsWith('kept running: ')).length,
    clear: () => writeFile(log, ''),
  };
}

import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureRepo, git, oracleBaseline } from '../../core/baselines/gitFixtures.js';
import type { BaselineJsonEntry } from './baselinesCommand.js';
import type { CliIo } from './cliIo.js';
import { runCli } from './runCli.js';

const DAY = 86_400;
const D = 19_676 * DAY; // 2023-11-15 00:00 UTC
const weird = "x$(touch${IFS}pwned);y'\"";

function recorder(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line), env: {}, signal: new AbortController().signal };
}

let root: string;
let repo: string;
let shas: string[];
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-baselines-cli-'));
  repo = path.join(root, 'repo');
  await mkdir(repo);
  shas = await createFixtureRepo(
    repo,
    [
      { ref: 'refs/heads/main', committer: D - 3600, parents: [], message: 'Before midnight\u001b[31m' },
      { ref: 'refs/heads/main', committer: D + 3600, parents: [1] },
      { ref: 'refs/heads/side', committer: D - 60, parents: [1] },
    ],
    { [weird]: 2 },
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('builder-bar baselines', () => {
  it('prints JSON with the fields the issue names, matching git rev-list', async () => {
    const io = recorder();
    expect(await runCli(['baselines', repo, '--now', String(D + 7200), '--json'], io)).toBe(0);
    const entries = JSON.parse(io.stdout.join('\n')) as BaselineJsonEntry[];
    expect(entries.map((entry) => entry.branch).sort()).toEqual(['main', 'side', weird].sort());
    for (const entry of entries) {
      expect(entry).toMatchObject({ boundary: D, nextRollover: D + DAY, rootFallback: false });
      const oracle = await oracleBaseline(repo, `refs/heads/${entry.branch}`, entry.boundary);
      expect(entry.baseline).toBe(oracle.baseline);
      expect(typeof entry.baselineCommitTime).toBe('number');
    }
    const main = entries.find((entry) => entry.branch === 'main') as BaselineJsonEntry;
    expect(main).toMatchObject({ tip: shas[1], baseline: shas[0], baselineCommitTime: D - 3600, offFirstParent: false, commitsSince: 1, sharedWith: [weird], sharedCount: 1 });
    expect(await readdir(repo)).not.toContain('pwned');
  });

  it('prints B in UTC and local time, the rollover countdown, groups and no raw escape sequence', async () => {
    const io = recorder();
    expect(await runCli(['baselines', repo, '--now', String(D + 7200), '--branches', 'main'], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toContain(`baseline   ${shas[0]?.slice(0, 12)} Before midnight\\x1b[31m`);
    expect(text).not.toContain('\u001b');
    expect(text).toMatch(/boundary {3}2023-11-15 00:00:00 UTC {2}\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d local\)/);
    expect(text).toContain('rollover   2023-11-16 00:00:00 UTC, in 22h');
    expect(text).toContain('1 full build serve 1 branch:');
    expect(text).not.toContain('side');
  });

  it('takes a weekly interval and the tip-commit time source', async () => {
    const io = recorder();
    expect(await runCli(['baselines', repo, '--interval', '604800', '--time-source', 'tip-commit', '--json'], io)).toBe(0);
    const entries = JSON.parse(io.stdout.join('\n')) as BaselineJsonEntry[];
    for (const entry of entries) {
      expect(new Date(entry.boundary * 1000).getUTCDay()).toBe(4);
      expect(entry.time).toBe(entry.tipCommitTime);
    }
  });

  it('refuses a path that is not a git work tree, and bad options, with exit code 2', async () => {
    const io = recorder();
    expect(await runCli(['baselines', path.join(root, 'nowhere')], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/does not exist[\s\S]*Hint: /);
    const notRepo = recorder();
    expect(await runCli(['baselines', root], notRepo)).toBe(2);
    expect(notRepo.stderr.join('\n')).toMatch(/not a git work tree/);
    const badInterval = recorder();
    expect(await runCli(['baselines', repo, '--interval', '5'], badInterval)).toBe(2);
    expect(badInterval.stderr.join('\n')).toMatch(/--interval must be a whole number from 60/);
    const help = recorder();
    expect(await runCli(['baselines', '--help'], help)).toBe(0);
    expect(help.stdout.join('\n')).toMatch(/--time-source SOURCE/);
  });

  it('refuses a branch pattern that can never match, saying why, instead of showing no branches', async () => {
    for (const [pattern, words] of [
      ['release/[0-9', /--branches "release\/\[0-9" has a "\[" without its closing "\]"/],
      ['^main$', /--branches "\^main\$" holds "\^", which no branch name can/],
      ['refs/heads/main', /give it without refs\/heads\/: "main"/],
    ] as const) {
      const io = recorder();
      expect(await runCli(['baselines', repo, '--branches', pattern], io), pattern).toBe(2);
      expect(io.stderr.join('\n')).toMatch(words);
      expect(io.stderr.join('\n')).toMatch(/Hint: A pattern is a git glob/);
      expect(io.stdout).toEqual([]);
    }
  });

  it('says why there is nothing to show: no commits yet, or no branch matching the pattern', async () => {
    const empty = path.join(root, 'empty');
    await mkdir(empty);
    await git(empty, ['init', '-q', '-b', 'main']);
    const io = recorder();
    expect(await runCli(['baselines', empty], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/No branches yet: the repository has no commits/);
    const none = recorder();
    expect(await runCli(['baselines', repo, '--branches', 'nothing/*'], none)).toBe(0);
    expect(none.stdout.join('\n')).toContain('No branch matches "nothing/*".');
  });

  it('shows commits dated before 1970 or after 9999 without failing', async () => {
    const dates = path.join(root, 'dates');
    await mkdir(dates);
    await git(dates, ['init', '-q', '-b', 'main']);
    const tree = (await git(dates, ['write-tree'])).trim();
    let parent = '';
    for (const time of ['-157766400', String(D - 3600), '99999999999999']) {
      const body = `tree ${tree}\n${parent ? `parent ${parent}\n` : ''}author A <a@example.com> ${time} +0000\ncommitter C <c@example.com> ${time} +0000\n\nat ${time}\n`;
      parent = (await git(dates, ['hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], body)).trim();
    }
    await git(dates, ['update-ref', 'refs/heads/main', parent]);
    for (const timeSource of ['wall-clock', 'tip-commit']) {
      const io = recorder();
      expect(await runCli(['baselines', dates, '--now', String(D + 7200), '--time-source', timeSource], io), io.stderr.join('\n')).toBe(0);
      expect(io.stdout.join('\n')).toMatch(/baseline {3}[0-9a-f]{12} at /);
    }
  });

  it('names a few of the branches a full build serves and counts the rest', async () => {
    const many = path.join(root, 'many');
    await mkdir(many);
    const [only] = await createFixtureRepo(many, [{ ref: 'refs/heads/main', committer: D - 3600, parents: [] }]);
    await git(many, ['update-ref', '--stdin'], Array.from({ length: 150 }, (_, i) => `create refs/heads/b/${i} ${only}\n`).join(''));
    const io = recorder();
    expect(await runCli(['baselines', many, '--now', String(D + 7200)], io)).toBe(0);
    const shared = io.stdout.filter((line) => line.startsWith('  shared'));
    expect(shared).toHaveLength(151);
    for (const line of shared) expect(line).toMatch(/^ {2}shared {5}one full build serves ([^,]+, ){9}[^,]+ and 140 more too$/);
  });
});

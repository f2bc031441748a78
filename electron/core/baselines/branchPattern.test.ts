/**
 * A branch pattern that can never match used to be taken as it was: git for-each-ref matched
 * nothing, so the repository silently showed no branches. Each case here is checked against git
 * itself: the pattern refused matches no branch of a repository that has every kind of name.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branchPatternProblem, BRANCH_PATTERN_HINT } from './branchPattern.js';
import { createFixtureRepo, git } from './gitFixtures.js';

let root: string;
let repo: string;
const branches = ['main', 'release/1.0', 'release/2.0', 'feature/a/b', '-x', 'a#b', 'd$x', "q'uote", 'ünï/çødé', 'x.y'];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-branch-pattern-'));
  repo = path.join(root, 'repo');
  await mkdir(repo);
  const [only] = await createFixtureRepo(repo, [{ ref: 'refs/heads/main', committer: 1_700_000_000, parents: [] }]);
  await git(repo, ['update-ref', '--stdin'], branches.slice(1).map((name) => `create refs/heads/${name} ${only}\n`).join(''));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function matches(pattern: string): Promise<string[]> {
  return (await git(repo, ['for-each-ref', '--format=%(refname:strip=2)', `refs/heads/${pattern}`])).split('\n').filter(Boolean);
}

describe('branchPatternProblem', () => {
  it('accepts the globs and prefixes git matches', async () => {
    for (const [pattern, expected] of [
      ['release/*', ['release/1.0', 'release/2.0']],
      ['release', ['release/1.0', 'release/2.0']],
      ['release/', ['release/1.0', 'release/2.0']],
      ['feature/**', ['feature/a/b']],
      ['ma?n', ['main']],
      ['[m]ain', ['main']],
      ['\\main', ['main']],
      ['?x', ['-x']],
      ['a#b', ['a#b']],
      ['d$x', ['d$x']],
      ['ünï/*', ['ünï/çødé']],
      ['*.y', ['x.y']],
      ['release/[^1]*', ['release/2.0']],
      ['release/[!1]*', ['release/2.0']],
    ] as const) {
      expect(branchPatternProblem(pattern), pattern).toBeNull();
      expect((await matches(pattern)).sort(), pattern).toEqual([...expected].sort());
    }
  });

  it('refuses, saying why, a pattern that can never match or could be read as an option', async () => {
    for (const [pattern, words] of [
      ['', /empty/],
      ['-x', /starts with "-"/],
      ['refs/heads/main', /without refs\/heads\/: "main"/],
      ['refs/tags/v1', /only local branches/],
      ['release/[0-9', /"\[" without its closing "\]"/],
      ['main\\', /ends with a lone "\\"/],
      ['main develop', /a space/],
      ['^release/.*$', /"\^"/],
      ['.*', /starts with "\."/],
      ['release/.*', /starts with "\."/],
      ['a..b', /"\.\."/],
      ['main~1', /"~"/],
      ['x:y', /":"/],
      ['a@{1}', /"@\{"/],
      ['tab\there', /a control character/],
    ] as const) {
      const problem = branchPatternProblem(pattern);
      expect(problem, pattern).toMatch(words);
      // Whatever git makes of it: no branch at all (apart from "-x", refused as an option, and "", every branch).
      if (pattern !== '-x' && pattern !== '') expect(await matches(pattern), pattern).toEqual([]);
    }
    expect(BRANCH_PATTERN_HINT).toMatch(/release\/\*/);
  });
});

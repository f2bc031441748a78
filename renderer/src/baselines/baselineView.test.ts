import { describe, expect, it } from 'vitest';
import { BaselinesListSchema } from '../../../electron/ipc/baselinesContract.js';
import {
  branchBadges,
  countdownText,
  formatUtc,
  groupBranches,
  intervalWords,
  isoUtc,
  prebuildWords,
  servesWords,
  sharedWithWords,
  shortSha,
} from './baselineView.js';
import { SAMPLE_BOUNDARY, sampleBranch, sampleRepo } from './sampleBaselines.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const commit = (sha: string) => ({ sha, subject: `at ${sha.slice(0, 1)}`, commitTime: SAMPLE_BOUNDARY - 10, authorTime: SAMPLE_BOUNDARY - 10 });

describe('the samples', () => {
  it('match the contract the core answers with', () => {
    const repo = sampleRepo({ id: 'app', branches: [sampleBranch({ branch: 'main' }), sampleBranch({ branch: 'dev', baseline: commit(B) })] });
    expect(BaselinesListSchema.safeParse({ repos: [repo] }).success).toBe(true);
  });
});

describe('times', () => {
  it('shows the boundary in UTC and as ISO for <time>', () => {
    expect(formatUtc(SAMPLE_BOUNDARY)).toBe('2024-01-10 00:00:00 UTC');
    expect(isoUtc(SAMPLE_BOUNDARY)).toBe('2024-01-10T00:00:00Z');
  });

  it('counts down to the second, with days when far, and says when it is due', () => {
    const now = SAMPLE_BOUNDARY * 1000;
    expect(countdownText(SAMPLE_BOUNDARY + 9, now)).toBe('00:00:09');
    expect(countdownText(SAMPLE_BOUNDARY + 9, now + 1000)).toBe('00:00:08');
    expect(countdownText(SAMPLE_BOUNDARY + 86_400 + 3_723, now)).toBe('1d 01:02:03');
    expect(countdownText(SAMPLE_BOUNDARY, now)).toBe('due now');
    // A partial second still shows the whole seconds left, never a negative number.
    expect(countdownText(SAMPLE_BOUNDARY + 1, now + 999)).toBe('due now');
  });

  it('names the day and week intervals, numbers the others', () => {
    expect(intervalWords(86_400)).toBe('daily (UTC midnight)');
    expect(intervalWords(604_800)).toBe('weekly (Thursday 00:00 UTC)');
    expect(intervalWords(3_600)).toBe('every 3600 s');
  });
});

describe('prebuild words', () => {
  it('allows Prebuild only when nothing is built or under way', () => {
    expect(prebuildWords('none')).toMatchObject({ mark: '○', canPrebuild: true });
    expect(prebuildWords('queued').canPrebuild).toBe(false);
    expect(prebuildWords('building')).toMatchObject({ mark: '…', canPrebuild: false });
    expect(prebuildWords('built')).toMatchObject({ mark: '✓', canPrebuild: false });
    expect(prebuildWords('failed').canPrebuild).toBe(true);
    expect(prebuildWords('gone').canPrebuild).toBe(true);
  });
});

describe('badges', () => {
  it('shows detached, root fallback and off first-parent, and nothing for a plain branch', () => {
    expect(branchBadges(sampleBranch({ branch: 'main' }))).toEqual([]);
    const labels = branchBadges(sampleBranch({ branch: 'HEAD', detached: true, rootFallback: true, offFirstParent: true })).map((b) => b.label);
    expect(labels).toEqual(['detached HEAD', 'root fallback', 'off first-parent']);
  });

  it('keeps a long shared-with list to one line', () => {
    expect(sharedWithWords(['a', 'b'])).toBe('a, b');
    expect(sharedWithWords(['a', 'b', 'c', 'd'], 4, 2)).toBe('a, b and 2 more');
    // The core names at most 100 others; the group says how many there are.
    const hundred = Array.from({ length: 100 }, (_, i) => `b${i}`);
    expect(sharedWithWords(hundred, 9_999)).toBe('b0, b1, b2, b3, b4 and 9994 more');
    expect(servesWords(1)).toBe('one full build serves this branch');
    expect(servesWords(3)).toBe('one full build serves 3 branches');
  });
});

describe('groupBranches', () => {
  const repo = sampleRepo({
    id: 'app',
    branches: [
      sampleBranch({ branch: 'main', baseline: commit(A) }),
      sampleBranch({ branch: 'feature/$(rm -rf ~);x', baseline: commit(B) }),
      sampleBranch({ branch: 'release', baseline: commit(A) }),
    ],
  });

  it('puts branches under the baseline they share, in the core group order', () => {
    const groups = groupBranches(repo);
    expect(groups.map((g) => [g.baseline.sha, g.branches.map((b) => b.branch), g.total])).toEqual([
      [A, ['main', 'release'], 2],
      [B, ['feature/$(rm -rf ~);x'], 1],
    ]);
  });

  it('filters by name as plain text, keeping how many each full build serves', () => {
    const groups = groupBranches(repo, 'REL');
    expect(groups.map((g) => [g.branches.map((b) => b.branch), g.total])).toEqual([[['release'], 2]]);
    expect(groupBranches(repo, '$(rm').map((g) => g.branches[0]!.branch)).toEqual(['feature/$(rm -rf ~);x']);
  });

  it('still shows a branch the groups left out', () => {
    const partial = { ...repo, groups: [{ baseline: A, branches: ['main'] }] };
    expect(groupBranches(partial).flatMap((g) => g.branches.map((b) => b.branch))).toEqual(['main', 'feature/$(rm -rf ~);x', 'release']);
  });

  it('groups thousands of branches in one pass, each once', () => {
    const shas = Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(2, '0').repeat(20));
    const many = Array.from({ length: 5000 }, (_, i) => sampleBranch({ branch: `b/${i}`, baseline: commit(shas[i % 40]!) }));
    const big = sampleRepo({ id: 'big', branches: many });
    const groups = groupBranches(big);
    expect(groups).toHaveLength(40);
    expect(groups.reduce((sum, group) => sum + group.branches.length, 0)).toBe(5000);
    expect(groups.every((group) => group.total === 125)).toBe(true);
    expect(groupBranches(big, 'b/4999').flatMap((group) => group.branches.map((b) => b.branch))).toEqual(['b/4999']);
  });

  it('shortens shas to seven characters', () => {
    expect(shortSha(A)).toBe('aaaaaaa');
  });
});

/**
 * What the Baselines panel shows, as pure functions of the core's `RepoBaselines`: short shas,
 * the boundary in UTC and local time, the rollover countdown, prebuild words, badges, and the
 * branches grouped under the baseline whose one full build serves them. Branch names pass
 * through as data; nothing here parses or interprets them.
 */
import type { BranchBaseline, PrebuildState, RepoBaselines } from '../api/contract.js';
import type { StateTone } from '../format/format.js';

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

const pad = (value: number): string => value.toString().padStart(2, '0');

/** ISO 8601 in UTC, for `<time dateTime>` and tests. */
export function isoUtc(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** "2024-01-10 00:00:00 UTC" */
export function formatUtc(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** "2024-01-10 01:00:00 local (UTC+01:00)": the same instant on this machine's clock. */
export function formatLocal(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const offsetMinutes = -d.getTimezoneOffset();
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} local (${offset})`;
}

/**
 * Time left until the next rollover, to the second ("2d 03:04:05", "00:00:09"), or a word
 * when it is due: the core recomputes and sends the new baselines, the panel only counts down.
 */
export function countdownText(nextRollover: number, nowMs: number): string {
  const left = Math.floor(nextRollover - nowMs / 1000);
  if (left <= 0) return 'due now';
  const days = Math.floor(left / 86_400);
  const clock = `${pad(Math.floor((left % 86_400) / 3_600))}:${pad(Math.floor((left % 3_600) / 60))}:${pad(left % 60)}`;
  return days > 0 ? `${days}d ${clock}` : clock;
}

/** "daily (UTC midnight)", "weekly (Thursday 00:00 UTC)", "every 3600 s". */
export function intervalWords(seconds: number): string {
  if (seconds === 86_400) return 'daily (UTC midnight)';
  // The epoch began on a Thursday, so epoch-aligned weeks start there.
  if (seconds === 604_800) return 'weekly (Thursday 00:00 UTC)';
  return `every ${seconds} s`;
}

export const timeSourceWords: Record<RepoBaselines['repo']['timeSource'], string> = {
  'wall-clock': 'wall clock',
  'tip-commit': 'tip commit time',
};

export interface PrebuildWords {
  /** One character for the tray and dense rows: ✓ built, … under way, ○ not built, ✗ failed. */
  mark: string;
  word: string;
  tone: StateTone;
  /** Whether Prebuild may be asked for: not while queued or building, not once built. */
  canPrebuild: boolean;
}

const prebuildTable: Record<PrebuildState['state'], PrebuildWords> = {
  none: { mark: '○', word: 'not built', tone: 'neutral', canPrebuild: true },
  queued: { mark: '…', word: 'queued', tone: 'busy', canPrebuild: false },
  building: { mark: '…', word: 'building', tone: 'busy', canPrebuild: false },
  built: { mark: '✓', word: 'built', tone: 'good', canPrebuild: false },
  failed: { mark: '✗', word: 'build failed', tone: 'bad', canPrebuild: true },
  gone: { mark: '○', word: 'no longer in the store', tone: 'neutral', canPrebuild: true },
};

export function prebuildWords(state: PrebuildState['state']): PrebuildWords {
  return prebuildTable[state];
}

export interface Badge {
  label: string;
  tone: StateTone;
  /** Why it matters, in a sentence (shown as the badge's tooltip). */
  why: string;
}

export function branchBadges(branch: BranchBaseline): Badge[] {
  const badges: Badge[] = [];
  if (branch.detached) badges.push({ label: 'detached HEAD', tone: 'neutral', why: 'HEAD points at a commit, not a branch.' });
  if (branch.rootFallback) {
    badges.push({ label: 'root fallback', tone: 'bad', why: 'No commit at or before the boundary: the baseline is a root commit.' });
  }
  if (branch.offFirstParent) {
    badges.push({ label: 'off first-parent', tone: 'bad', why: "The baseline is reached only through a merged side branch, not this branch's own line." });
  }
  return badges;
}

/**
 * "a, b and 3 more": who else a branch's full build serves, kept to one line. `others` is how
 * many other branches share it: the core names at most 100 of them (baselineResult.ts).
 */
export function sharedWithWords(names: readonly string[], others = names.length, shown = 5): string {
  const total = Math.max(others, names.length);
  if (total <= shown && names.length === total) return names.join(', ');
  const named = names.slice(0, shown);
  return `${named.join(', ')} and ${total - named.length} more`;
}

export interface BaselineGroup {
  baseline: BranchBaseline['baseline'];
  prebuild: PrebuildState;
  /** The branches shown (after the filter). */
  branches: BranchBaseline[];
  /** How many branches this baseline's full build serves, filter or not. */
  total: number;
}

/**
 * The branches under the baseline they share, in the core's group order; a branch missing from
 * every group (a core older or newer than this panel) still shows, in a group of its own.
 * `filter` keeps branches whose name contains it (case-insensitive); empty groups drop out.
 */
export function groupBranches(repo: RepoBaselines, filter = ''): BaselineGroup[] {
  const byName = new Map(repo.branches.map((branch) => [branch.branch, branch]));
  const needle = filter.trim().toLowerCase();
  const keep = (branch: BranchBaseline): boolean => needle === '' || branch.branch.toLowerCase().includes(needle);
  const placed = new Set<string>();
  const groups: BaselineGroup[] = [];
  const push = (members: BranchBaseline[]): void => {
    const shown = members.filter(keep);
    if (shown.length === 0) return;
    groups.push({ baseline: members[0]!.baseline, prebuild: members[0]!.prebuild, branches: shown, total: members.length });
  };
  for (const group of repo.groups) {
    const members: BranchBaseline[] = [];
    for (const name of group.branches) {
      const branch = byName.get(name);
      if (branch && !placed.has(name)) {
        members.push(branch);
        placed.add(name);
      }
    }
    if (members.length > 0) push(members);
  }
  const leftovers = new Map<string, BranchBaseline[]>();
  for (const branch of repo.branches) {
    if (placed.has(branch.branch)) continue;
    leftovers.set(branch.baseline.sha, [...(leftovers.get(branch.baseline.sha) ?? []), branch]);
  }
  for (const members of leftovers.values()) push(members);
  return groups;
}

/** "one full build serves 3 branches" / "one full build serves this branch". */
export function servesWords(count: number): string {
  return count === 1 ? 'one full build serves this branch' : `one full build serves ${count} branches`;
}

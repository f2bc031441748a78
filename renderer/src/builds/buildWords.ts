/**
 * What the Builds panel says about a build and its derivations: state words and tones, the
 * target as a command line would show it, progress and duration. Pure, so it is unit-tested.
 */
import type { BuildView } from '../api/contract.js';
import { formatDuration, type StateTone } from '../format/format.js';

type BuildState = BuildView['state'];
type DerivationState = BuildView['derivations'][number]['state'];

export const buildStateWords: Record<BuildState, string> = {
  'waiting-for-builder': 'Waiting for builder',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const buildStateTones: Record<BuildState, StateTone> = {
  'waiting-for-builder': 'busy',
  running: 'busy',
  succeeded: 'good',
  failed: 'bad',
  cancelled: 'neutral',
};

export const derivationStateWords: Record<DerivationState, string> = {
  waiting: 'waiting',
  building: 'building',
  copying: 'copying',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

/**
 * Where a build came from, for its mark in the queue: Builder Bar's own (its CLI, this window,
 * a prebuild), or any other Nix process on the machine (a terminal, darwin-rebuild, direnv).
 */
export function buildSourceMark(build: Pick<BuildView, 'source'>): { label: string; title: string; external: boolean } {
  return build.source === 'external'
    ? { label: 'external', title: 'Started outside Builder Bar (a terminal, darwin-rebuild, direnv…); seen through Nix\'s json-log-path', external: true }
    : { label: 'Builder Bar', title: 'Started through Builder Bar', external: false };
}

/** "/home/u/job.nix -A hello", "nixpkgs#hello" or a baseline's full build. */
export { describeBuildTarget as describeTarget } from '../../../electron/ipc/describeBuildTarget.js';

/** "1/3 done · 1 running · 1 failed"; only the parts that are not zero after the first. */
export function describeProgress(progress: BuildView['progress']): string {
  const parts = [`${progress.done}/${progress.expected} done`];
  if (progress.running > 0) parts.push(`${progress.running} running`);
  if (progress.failed > 0) parts.push(`${progress.failed} failed`);
  return parts.join(' · ');
}

/** How long it ran: until it ended, or until now while it runs. */
export function buildDuration(startedAt: number | null, endedAt: number | null, nowMs: number): string {
  if (startedAt === null) return '—';
  return formatDuration(((endedAt ?? nowMs) - startedAt) / 1000);
}


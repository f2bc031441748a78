/**
 * What the menu bar says about builds, as pure functions: the number running beside the icon,
 * and a notification when a build ends (Podman Desktop and Rancher Desktop notify the same way
 * for long tasks). The shell feeds it the core's `build` events.
 */
import type { BuildView } from '../ipc/contract.js';
import { describeBuildTarget } from '../ipc/describeBuildTarget.js';

const ENDED = new Set<BuildView['state']>(['succeeded', 'failed', 'cancelled']);

/** The ids of builds still running, after this event. */
export function runningAfter(running: ReadonlySet<string>, view: BuildView): Set<string> {
  const next = new Set(running);
  if (ENDED.has(view.state)) next.delete(view.id);
  else next.add(view.id);
  return next;
}

/** The text beside the menu-bar icon: nothing when idle, the count while builds run. */
export function trayTitle(runningCount: number): string {
  return runningCount === 0 ? '' : ` ${runningCount}`;
}

export interface BuildNotice {
  title: string;
  body: string;
}

/** A notice for a build that just ended, or null (still running, cancelled by the user, or seen already). */
export function buildEndedNotice(wasRunning: boolean, view: BuildView): BuildNotice | null {
  if (!wasRunning || (view.state !== 'succeeded' && view.state !== 'failed')) return null;
  const what = describeBuildTarget(view.target, { shortFile: true });
  const seconds = view.endedAt !== null ? Math.max(0, Math.round((view.endedAt - view.createdAt) / 1000)) : null;
  // A huge build's view lists only some of its derivations; in one that succeeded, the rest are done too.
  const built = view.derivations.filter((d) => d.state === 'done').length + (view.state === 'succeeded' ? (view.derivationsNotShown ?? 0) : 0);
  if (view.state === 'succeeded') {
    return { title: 'Build succeeded', body: `${what}: ${built} derivation${built === 1 ? '' : 's'} built${seconds !== null ? ` in ${seconds} s` : ''}.` };
  }
  return { title: 'Build failed', body: `${what}: ${view.error ?? 'see the build log'}` };
}

/**
 * The build queue as the renderer mirrors it: the `builds.list` answer, then every `build`
 * event merged by id and every `buildRemoved` dropped. Pure, so the ordering and the merge
 * rules are unit-tested without a DOM or a socket.
 */
import type { BuildView } from '../api/contract.js';

const activeStates: ReadonlySet<BuildView['state']> = new Set(['waiting-for-builder', 'running']);

export function isActiveBuild(build: Pick<BuildView, 'state'>): boolean {
  return activeStates.has(build.state);
}

/** Builds still under way first, then finished ones; newest first within each group. */
export function orderBuilds(builds: readonly BuildView[]): BuildView[] {
  return [...builds].sort((a, b) => {
    const activeFirst = Number(isActiveBuild(b)) - Number(isActiveBuild(a));
    if (activeFirst !== 0) return activeFirst;
    if (b.createdAt !== a.createdAt) return b.createdAt - a.createdAt;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
}

/**
 * One `build` event: replaces the build with the same id, or adds it. A finished build never
 * goes back to running: an event that says so was overtaken by the one that finished it.
 */
export function mergeBuild(builds: readonly BuildView[], incoming: BuildView): BuildView[] {
  const existing = builds.find((build) => build.id === incoming.id);
  if (existing && !isActiveBuild(existing) && isActiveBuild(incoming)) return [...builds];
  return orderBuilds([...builds.filter((build) => build.id !== incoming.id), incoming]);
}

/** A `buildRemoved` event: the build fell out of the core's history. */
export function removeBuild(builds: readonly BuildView[], id: string): BuildView[] {
  return builds.filter((build) => build.id !== id);
}

/**
 * The answer to `builds.list` is the core's whole queue: builds it no longer has are dropped.
 * A build this window already saw finish keeps its finished view if the list (asked for
 * before that event) still shows it running.
 */
export function replaceBuilds(current: readonly BuildView[], listed: readonly BuildView[]): BuildView[] {
  const known = new Map(current.map((build) => [build.id, build]));
  return orderBuilds(
    listed.map((build) => {
      const seen = known.get(build.id);
      return seen && !isActiveBuild(seen) && isActiveBuild(build) ? seen : build;
    }),
  );
}

export function runningBuildCount(builds: readonly BuildView[]): number {
  return builds.filter(isActiveBuild).length;
}

/**
 * The on-demand builder in words, for every door (tray, dashboard, `builder-bar status`): whether
 * it waits for Nix, is held by ssh sessions or builds, or stops soon for being idle. Pure: `now`
 * is passed in, so the countdown is tested without a clock.
 */
import type { Status } from './contract.js';

/** "idle, stops in 3 min": whole minutes, rounded up, so it never says 0 while still waiting. */
export function idleStopLabel(stopsAt: number, now: number): string {
  const minutes = Math.max(1, Math.ceil((stopsAt - now) / 60_000));
  return `idle, stops in ${minutes} min`;
}

export const STOPPED_ON_DEMAND_LABEL = 'stopped until a build needs it';

/**
 * On demand (status.onDemand is present only then): whether the builder waits for Nix, is held
 * by ssh sessions, or stops soon for being idle. `now` makes the countdown a pure function.
 */
export function onDemandLine(status: Status, now: number): string | null {
  const onDemand = status.onDemand;
  if (!onDemand) return null;
  if (status.state === 'stopped') return `On demand: ${STOPPED_ON_DEMAND_LABEL}`;
  if (status.state !== 'ready') return null;
  if (onDemand.idleStopsAt !== null) return `On demand: ${idleStopLabel(onDemand.idleStopsAt, now)}`;
  const use = [
    ...(onDemand.connections > 0 ? [`${onDemand.connections} ssh session${onDemand.connections === 1 ? '' : 's'}`] : []),
    ...(onDemand.builds > 0 ? [`${onDemand.builds} build${onDemand.builds === 1 ? '' : 's'}`] : []),
  ];
  return use.length > 0 ? `On demand: in use (${use.join(', ')})` : null;
}


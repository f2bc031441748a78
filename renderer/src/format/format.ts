/**
 * Small formatting helpers for the Dashboard and the Logs window: durations, sizes, clock
 * times, and the words shown for each state. Pure, so they are unit-tested.
 */
import type { Accelerator, RestartInfo, Status, VmState } from '../api/contract.js';
import { parseAnsi } from '../logs/ansi.js';

/** "12s", "4m 12s", "2h 5m", "3d 4h": two units at most, as a compact utility would show. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  const secs = seconds % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${secs}s`;
  return `${secs}s`;
}

const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** Binary units, one decimal below 10 ("1.5 GiB", "512 MiB", "20 GiB"). */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < byteUnits.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 || value >= 10 ? Math.round(value).toString() : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${byteUnits[unit]}`;
}

const pad = (value: number, width = 2): string => value.toString().padStart(width, '0');

/** Local wall-clock time with milliseconds, as log viewers show it: "14:03:22.123". */
export function formatClock(epochMs: number): string {
  const date = new Date(epochMs);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export type StateTone = 'neutral' | 'busy' | 'good' | 'bad';

export const stateWords: Record<VmState, string> = {
  stopped: 'Stopped',
  starting: 'Starting…',
  ready: 'Ready',
  stopping: 'Stopping…',
  error: 'Error',
};

const stateTones: Record<VmState, StateTone> = {
  stopped: 'neutral',
  starting: 'busy',
  ready: 'good',
  stopping: 'busy',
  error: 'bad',
};

/** The word and colour of the header's state, with what the supervisor is doing while busy. */
export function describeState(status: Pick<Status, 'state' | 'detail'>): { word: string; detail: string | null; tone: StateTone } {
  const busy = status.state === 'starting' || status.state === 'stopping';
  const detail = busy && status.detail.trim() !== '' ? status.detail : null;
  return { word: stateWords[status.state], detail, tone: stateTones[status.state] };
}

/** "KVM", "HVF", or "TCG (slow): kvm probe failed". */
export function describeAccelerator(accelerator: Accelerator | null): string {
  if (!accelerator) return '—';
  const name = accelerator.name.toUpperCase();
  if (accelerator.name === 'tcg') {
    return accelerator.reason ? `${name} (slow): ${accelerator.reason}` : `${name} (slow)`;
  }
  return name;
}

/** "Restart attempt 2 · next in 8s", "Gave up after 5 attempts", or null when there is nothing to say. */
export function describeRestart(restart: RestartInfo, nowMs: number): string | null {
  if (restart.gaveUp) {
    const attempts = restart.attempts === 1 ? '1 attempt' : `${restart.attempts} attempts`;
    return `Gave up restarting after ${attempts}. Start it again when the cause is fixed.`;
  }
  if (restart.nextAt !== null) {
    const wait = Math.max(0, Math.ceil((restart.nextAt - nowMs) / 1000));
    return `Restart attempt ${restart.attempts + 1} in ${formatDuration(wait)}`;
  }
  if (restart.attempts > 0) return `Restart attempt ${restart.attempts}`;
  return null;
}

export interface AvailableActions {
  start: boolean;
  stop: boolean;
  forceStop: boolean;
  restart: boolean;
}

/**
 * Which buttons make sense in each state. Stop and force stop work from every running state
 * (starting included); force stop stays available while a graceful stop is under way.
 */
export function availableActions(state: VmState): AvailableActions {
  switch (state) {
    case 'stopped':
      return { start: true, stop: false, forceStop: false, restart: false };
    case 'starting':
      return { start: false, stop: true, forceStop: true, restart: false };
    case 'ready':
      return { start: false, stop: true, forceStop: true, restart: true };
    case 'stopping':
      return { start: false, stop: false, forceStop: true, restart: false };
    case 'error':
      return { start: true, stop: true, forceStop: true, restart: true };
  }
}

/** A fraction in [0, 1] for a usage bar; 0 when the total is unknown. */
export function usageFraction(used: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.min(1, Math.max(0, used / total));
}

/** The text of a line without any escape sequence: one parser (logs/ansi.ts) decides what an escape is. */
export function stripAnsi(text: string): string {
  return parseAnsi(text)
    .map((segment) => segment.text)
    .join('');
}

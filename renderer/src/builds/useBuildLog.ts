/**
 * One derivation's log lines from the core (`builds.log`): fetched when shown, again about once
 * a second while the build runs, and once more when it ends so the last lines are not missed.
 * A fetch that fails (an error answer, or a reply that never arrives whole) shows its error and
 * the polling goes on: a live log must not freeze on one lost reply.
 */
import { useEffect, useState } from 'react';
import type { BuilderBarApi, ErrorInfo } from '../api/contract.js';
import { inBackground } from '../components/background.js';
import { useDoor } from '../components/doorContext.js';

export interface BuildLog {
  lines: string[];
  dropped: number;
  error: ErrorInfo | null;
  loaded: boolean;
}

const REFRESH_MS = 1_000;

export const emptyBuildLog: BuildLog = { lines: [], dropped: 0, error: null, loaded: false };

/**
 * Fetches the log now and, while `live`, again a second after each answer; every change goes
 * through `update` (React's state setter). Returns the function that stops it.
 */
export function followBuildLog(
  api: Pick<BuilderBarApi, 'getBuildLog'>,
  target: { id: string; drvPath: string },
  live: boolean,
  update: (change: (previous: BuildLog) => BuildLog) => void,
): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const fetchOnce = async (): Promise<void> => {
    try {
      const reply = await api.getBuildLog(target);
      if (stopped) return;
      if (reply.ok) update(() => ({ lines: reply.value.lines, dropped: reply.value.dropped, error: null, loaded: true }));
      else update((previous) => ({ ...previous, error: reply.error, loaded: true }));
    } finally {
      // Scheduled after the answer, never on a fixed interval: a slow core gets no pile-up.
      if (live && !stopped) timer = setTimeout(poll, REFRESH_MS);
    }
  };
  const poll = (): void =>
    inBackground('Could not read the derivation log', fetchOnce, (error) => {
      if (!stopped) update((previous) => ({ ...previous, error, loaded: true }));
    });
  poll();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

export function useBuildLog(buildId: string, drvPath: string, live: boolean): BuildLog {
  const { door } = useDoor();
  const [log, setLog] = useState<BuildLog>(emptyBuildLog);
  useEffect(() => followBuildLog(door.api, { id: buildId, drvPath }, live, setLog), [door, buildId, drvPath, live]);
  return log;
}

/**
 * One derivation's log lines from the core (`builds.log`): fetched when shown, again about once
 * a second while the build runs, and once more when it ends so the last lines are not missed.
 */
import { useEffect, useState } from 'react';
import type { ErrorInfo } from '../api/contract.js';
import { useDoor } from '../components/doorContext.js';

export interface BuildLog {
  lines: string[];
  dropped: number;
  error: ErrorInfo | null;
  loaded: boolean;
}

const REFRESH_MS = 1_000;

export function useBuildLog(buildId: string, drvPath: string, live: boolean): BuildLog {
  const { door } = useDoor();
  const [log, setLog] = useState<BuildLog>({ lines: [], dropped: 0, error: null, loaded: false });

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const fetchOnce = async (): Promise<void> => {
      const reply = await door.api.getBuildLog({ id: buildId, drvPath });
      if (stopped) return;
      if (reply.ok) setLog({ lines: reply.value.lines, dropped: reply.value.dropped, error: null, loaded: true });
      else setLog((previous) => ({ ...previous, error: reply.error, loaded: true }));
      // Scheduled after the answer, never on a fixed interval: a slow core gets no pile-up.
      if (live) timer = setTimeout(() => void fetchOnce(), REFRESH_MS);
    };
    void fetchOnce();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [door, buildId, drvPath, live]);

  return log;
}

/**
 * The mirror's logs for the Logs window, taken at most once per animation frame. The hub sends
 * a batch every 16 ms, and two batches often land within one frame: rendering each on its own
 * cost the window a frame's budget twice (filter catch-up, Virtuoso's rows, layout). Here a
 * batch only asks for the next frame (perFrame.ts), and that frame renders whatever arrived by
 * then, in one synchronous render before the paint (`flushSync`), so nothing waits a frame
 * longer than it did. The line storage itself is the mirror's buffer, outside React state; this
 * snapshot only says that it changed.
 */
import { useEffect, useState } from 'react';
import { flushSync } from 'react-dom';
import { useDoor } from '../components/doorContext.js';
import type { LogsSnapshot, Mirror } from '../state/mirror.js';
import { animationFrames, perFrame } from './perFrame.js';

export function useLogsPerFrame(): LogsSnapshot {
  const { mirror } = useDoor();
  const [logs, setLogs] = useState(() => mirror.store.getState().logs);
  useEffect(() => {
    const stop = perFrame<Mirror>(
      (listener) => mirror.store.subscribe(listener),
      (state, previous) => state.logs !== previous.logs,
      animationFrames,
      () => flushSync(() => setLogs(mirror.store.getState().logs)),
    );
    // Whatever changed between the first render and the subscription.
    setLogs(mirror.store.getState().logs);
    return stop;
  }, [mirror]);
  return logs;
}

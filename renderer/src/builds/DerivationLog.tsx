/**
 * A derivation's build log: monospace, text nodes only (a build prints whatever it likes, and
 * none of it may become markup), following the end while the user has not scrolled up.
 */
import { useLayoutEffect, useRef } from 'react';
import { ErrorNote } from '../components/ErrorNote.js';
import { AnsiText } from '../logs/AnsiText.js';
import { useBuildLog } from './useBuildLog.js';

export function DerivationLog({ buildId, drvPath, name, live }: { buildId: string; drvPath: string; name: string; live: boolean }) {
  const log = useBuildLog(buildId, drvPath, live);
  const box = useRef<HTMLDivElement>(null);
  const stuckToBottom = useRef(true);

  useLayoutEffect(() => {
    const element = box.current;
    if (element && stuckToBottom.current) element.scrollTop = element.scrollHeight;
  }, [log.lines]);

  return (
    <div className="derivation-log">
      {log.error ? <ErrorNote error={log.error} /> : null}
      <div
        ref={box}
        className="console build-log"
        role="log"
        aria-label={`Log of ${name}`}
        tabIndex={0}
        onScroll={(event) => {
          const element = event.currentTarget;
          stuckToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 8;
        }}
      >
        {log.dropped > 0 ? <div className="muted">… {log.dropped} earlier lines not kept</div> : null}
        {log.lines.length === 0 ? (
          <div className="muted">{log.loaded ? (live ? 'No output yet.' : 'No output.') : 'Loading…'}</div>
        ) : (
          log.lines.map((line, index) => (
            <div key={index} className="console-line">
              <AnsiText text={line} />
            </div>
          ))
        )}
      </div>
    </div>
  );
}

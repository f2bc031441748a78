/**
 * The guest's serial console, live. Keeps to the bottom while the user is there; scrolling up
 * to read holds it still. Text goes in as text nodes, never as HTML.
 */
import { useLayoutEffect, useMemo, useRef } from 'react';
import type { LogLine } from '../api/contract.js';
import { useMirror } from '../components/doorContext.js';
import { AnsiText } from '../logs/AnsiText.js';

const SHOWN_LINES = 300;

export function ConsolePanel() {
  const logs = useMirror((mirror) => mirror.logs);
  const lines = useMemo(() => {
    // The dashboard holds a small cap of lines, so walking back from the newest is cheap.
    const held = logs.buffer;
    const consoleLines: LogLine[] = [];
    for (let i = held.length - 1; i >= 0 && consoleLines.length < SHOWN_LINES; i -= 1) {
      const line = held.at(i)!;
      if (line.source === 'vm-console') consoleLines.push(line);
    }
    return consoleLines.reverse();
  }, [logs]);
  const box = useRef<HTMLDivElement>(null);
  const stuckToBottom = useRef(true);

  useLayoutEffect(() => {
    const element = box.current;
    if (element && stuckToBottom.current) element.scrollTop = element.scrollHeight;
  }, [lines]);

  return (
    <section className="panel" aria-labelledby="console-title">
      <h2 id="console-title">Console</h2>
      <div
        ref={box}
        className="console"
        role="log"
        aria-label="VM console"
        tabIndex={0}
        onScroll={(event) => {
          const element = event.currentTarget;
          stuckToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 8;
        }}
      >
        {lines.length === 0 ? (
          <div className="muted">No console output yet. Start the builder to see it boot.</div>
        ) : (
          lines.map((line) => (
            <div key={line.seq} className="console-line">
              <AnsiText text={line.text} />
            </div>
          ))
        )}
      </div>
    </section>
  );
}

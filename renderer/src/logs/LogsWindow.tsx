/**
 * The Logs window: every source's lines with timestamps and level colours, filtered by
 * source, virtualised so a large log stays smooth. It follows the tail until the user
 * scrolls up; then "Jump to latest" brings it back. Log text is rendered as text, never HTML;
 * its ANSI colours become classed spans (AnsiText).
 */
import { useMemo, useRef, useState } from 'react';
import { Virtuoso, type VirtuosoHandle } from 'react-virtuoso';
import type { LogLine, LogSource } from '../api/contract.js';
import { ConnectionBanner } from '../components/ConnectionBanner.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useMirror } from '../components/doorContext.js';
import { formatClock } from '../format/format.js';
import { AnsiText } from './AnsiText.js';
import { DiagnosticsButton } from './DiagnosticsButton.js';
import { allSources, filterBySource, toggleSource } from './logFilter.js';

function LogRow({ line }: { line: LogLine }) {
  return (
    <div className={`log-row level-${line.level}`}>
      <time className="log-time" dateTime={new Date(line.time).toISOString()}>
        {formatClock(line.time)}
      </time>
      <span className="log-source">{line.source}</span>
      <span className="log-level">{line.level}</span>
      <span className="log-text">
        <AnsiText text={line.text} />
      </span>
    </div>
  );
}

export function LogsWindow() {
  const logs = useMirror((mirror) => mirror.logs);
  const loadError = useMirror((mirror) => mirror.loadError);
  const [shown, setShown] = useState<ReadonlySet<LogSource>>(() => new Set(allSources));
  const [atBottom, setAtBottom] = useState(true);
  const list = useRef<VirtuosoHandle>(null);
  const lines = useMemo(() => filterBySource(logs, shown), [logs, shown]);

  return (
    <div className="window logs-window">
      <ConnectionBanner />
      <div className="toolbar" role="toolbar" aria-label="Log sources">
        <fieldset className="sources">
          <legend className="visually-hidden">Sources</legend>
          {allSources.map((source) => (
            <label key={source} className="source-toggle">
              <input
                type="checkbox"
                checked={shown.has(source)}
                onChange={() => setShown((current) => toggleSource(current, source))}
              />
              {source}
            </label>
          ))}
        </fieldset>
        <span className="muted small" aria-live="off">
          {lines.length.toLocaleString()} lines
        </span>
        <DiagnosticsButton />
      </div>
      {loadError ? <ErrorNote error={loadError} /> : null}
      <div className="log-list" role="log" aria-label="Log lines">
        <Virtuoso
          // Start at the newest line: remount when the first lines arrive or the filter changes,
          // since Virtuoso honours its initial index only when it mounts.
          key={`${lines.length > 0}:${[...shown].join(',')}`}
          ref={list}
          data={lines}
          computeItemKey={(_index, line) => line.seq}
          itemContent={(_index, line) => <LogRow line={line} />}
          followOutput={(isAtBottom) => (isAtBottom ? 'auto' : false)}
          atBottomStateChange={setAtBottom}
          atBottomThreshold={24}
          initialTopMostItemIndex={{ index: 'LAST', align: 'end' }}
        />
        {!atBottom ? (
          <button
            type="button"
            className="jump-latest"
            onClick={() => list.current?.scrollToIndex({ index: 'LAST', align: 'end' })}
          >
            Jump to latest
          </button>
        ) : null}
      </div>
    </div>
  );
}

/**
 * The Logs window: every source's lines with timestamps and level colours, filtered by
 * source and level, virtualised so a large log stays smooth. It follows the tail until the user
 * scrolls up or navigates (search Next/Previous, Next error); then "Jump to latest" brings it
 * back. Log text is rendered as text, never HTML; its ANSI colours become classed spans and
 * search matches `<mark>`s (AnsiText).
 */
import { memo, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { Virtuoso, type VirtuosoHandle } from 'react-virtuoso';
import type { LogLevel, LogLine, LogSource } from '../api/contract.js';
import { ConnectionBanner } from '../components/ConnectionBanner.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useMirror } from '../components/doorContext.js';
import { formatClock } from '../format/format.js';
import { AnsiText } from './AnsiText.js';
import { DiagnosticsButton } from './DiagnosticsButton.js';
import { allLevels, allSources, filterByLevel, filterBySource, toggleLevel, toggleSource } from './logFilter.js';
import { nextError, nextMatch, previousMatch } from './logNavigation.js';
import { matchingLines, matchRanges, visibleText } from './logSearch.js';

const LogRow = memo(function LogRow({ line, query, current }: { line: LogLine; query: string; current: boolean }) {
  // Per text and query, so AnsiText's memo holds while the user is not typing.
  const highlight = useMemo(() => matchRanges(visibleText(line.text), query), [line.text, query]);
  return (
    <div className={`log-row level-${line.level}${current ? ' current-match' : ''}`}>
      <time className="log-time" dateTime={new Date(line.time).toISOString()}>
        {formatClock(line.time)}
      </time>
      <span className="log-source">{line.source}</span>
      <span className="log-level">{line.level}</span>
      <span className="log-text">
        <AnsiText text={line.text} highlight={highlight} />
      </span>
    </div>
  );
});

/** One row of checkboxes (sources, levels): the filter's ticked values. */
function ToggleGroup<T extends string>(props: { legend: string; className?: string; values: readonly T[]; shown: ReadonlySet<T>; onToggle(value: T): void }) {
  return (
    <fieldset className={props.className ? `sources ${props.className}` : 'sources'}>
      <legend className="visually-hidden">{props.legend}</legend>
      {props.values.map((value) => (
        <label key={value} className="source-toggle">
          <input type="checkbox" checked={props.shown.has(value)} onChange={() => props.onToggle(value)} />
          {value}
        </label>
      ))}
    </fieldset>
  );
}

export function LogsWindow() {
  const logs = useMirror((mirror) => mirror.logs);
  const loadError = useMirror((mirror) => mirror.loadError);
  const [shown, setShown] = useState<ReadonlySet<LogSource>>(() => new Set(allSources));
  const [levels, setLevels] = useState<ReadonlySet<LogLevel>>(() => new Set(allLevels));
  const [query, setQuery] = useState('');
  // The line (index into `lines`) the user last navigated to; null until they do.
  const [cursor, setCursor] = useState<number | null>(null);
  const [following, setFollowing] = useState(true);
  const [atBottom, setAtBottom] = useState(true);
  const topVisible = useRef(0);
  const list = useRef<VirtuosoHandle>(null);
  const lines = useMemo(() => filterByLevel(filterBySource(logs, shown), levels), [logs, shown, levels]);
  const matches = useMemo(() => matchingLines(lines, query), [lines, query]);
  const currentMatch = cursor === null ? -1 : matches.indexOf(cursor);

  // Navigating means the user wants to read that line: stop following the tail.
  const goTo = (index: number) => {
    setFollowing(false);
    setCursor(index);
    list.current?.scrollToIndex({ index, align: 'center' });
  };
  const from = () => cursor ?? topVisible.current - 1;
  const step = (direction: 1 | -1) => {
    const position = direction === 1 ? nextMatch(matches, from()) : previousMatch(matches, from());
    const index = position === null ? undefined : matches[position];
    if (index !== undefined) goTo(index);
  };
  const onSearchKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    step(event.shiftKey ? -1 : 1);
  };
  const goToNextError = () => {
    const index = nextError(lines, from());
    if (index !== null) goTo(index);
  };

  return (
    <div className="window logs-window">
      <ConnectionBanner />
      <div className="toolbar" role="toolbar" aria-label="Log sources">
        <ToggleGroup legend="Sources" values={allSources} shown={shown} onToggle={(source) => {
          setCursor(null);
          setShown((current) => toggleSource(current, source));
        }} />
        <ToggleGroup legend="Levels" className="levels" values={allLevels} shown={levels} onToggle={(level) => {
          setCursor(null);
          setLevels((current) => toggleLevel(current, level));
        }} />
        <span className="log-search">
          <input
            type="search"
            aria-label="Search logs"
            placeholder="Search"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            onKeyDown={onSearchKey}
          />
          <span className="muted small" aria-label="Search matches" aria-live="polite">
            {query === '' ? '' : matches.length === 0 ? 'No matches' : `${currentMatch >= 0 ? currentMatch + 1 : 0} of ${matches.length}`}
          </span>
          <button type="button" onClick={() => step(-1)} disabled={matches.length === 0}>
            Previous
          </button>
          <button type="button" onClick={() => step(1)} disabled={matches.length === 0}>
            Next
          </button>
        </span>
        <button type="button" onClick={goToNextError}>
          Next error
        </button>
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
          key={`${lines.length > 0}:${[...shown].join(',')}:${[...levels].join(',')}`}
          ref={list}
          data={lines}
          computeItemKey={(_index, line) => line.seq}
          itemContent={(index, line) => <LogRow line={line} query={query} current={index === cursor} />}
          followOutput={(isAtBottom) => (following && isAtBottom ? 'auto' : false)}
          atBottomStateChange={setAtBottom}
          rangeChanged={(range) => {
            topVisible.current = range.startIndex;
          }}
          atBottomThreshold={24}
          initialTopMostItemIndex={{ index: 'LAST', align: 'end' }}
        />
        {!atBottom || !following ? (
          <button
            type="button"
            className="jump-latest"
            onClick={() => {
              setFollowing(true);
              setCursor(null);
              list.current?.scrollToIndex({ index: 'LAST', align: 'end' });
            }}
          >
            Jump to latest
          </button>
        ) : null}
      </div>
    </div>
  );
}

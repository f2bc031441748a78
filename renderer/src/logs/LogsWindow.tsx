/**
 * The Logs window: every source's lines (the fixed sources and one stream per build) with
 * timestamps and level colours, filtered by source and level, virtualised so a large log stays
 * smooth. It follows the tail until the user scrolls up or navigates (search Next/Previous,
 * Next error); then "Jump to latest" brings it back. Log text is rendered as text, never HTML;
 * its ANSI colours become classed spans and search matches `<mark>`s (AnsiText). Clicking a line
 * selects it (Shift+click a range); Copy and Save take the selection or the filtered view.
 * The lines the window does not hold (trimmed or dropped) are counted beside the line count;
 * a view scrolled up stays on its lines while the cap trims older ones.
 *
 * A million lines held while 50k a second arrive: no render may walk them all. The filtered
 * view (FilteredLines) and the search matches (SearchMatches) catch up with each batch in
 * O(batch), and the list (FixedRowList) reads only the rows in view through the view by index,
 * never from a copied array. Only user actions (a filter, a query, Copy, Save, Next error)
 * may walk everything.
 *
 * Why a virtualised React list (FixedRowList) and not @xterm/xterm: a log viewer needs what a
 * terminal does not have: per-line source, level and time, filters that hide lines, search with
 * every match highlighted, selection of whole lines to copy. xterm would need all of that built
 * beside it on a buffer it owns. Measured in the same run (`npm run bench`, README, for the
 * throughput and frame figures): holding 1M lines xterm's page takes ~4x the memory of this
 * window.
 */
import { memo, useCallback, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import type { LogLevel, LogLine, LogSource } from '../api/contract.js';
import { ConnectionBanner } from '../components/ConnectionBanner.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { inBackground } from '../components/background.js';
import { useMirror } from '../components/doorContext.js';
import { formatClock } from '../format/format.js';
import { AnsiText } from './AnsiText.js';
import { DiagnosticsButton } from './DiagnosticsButton.js';
import { FixedRowList, type FixedRowListHandle } from './FixedRowList.js';
import { heldLines } from './heldLines.js';
import { FilteredLines } from './filteredLines.js';
import { followAfterBottomChange, keyGesture, keyJumpsToLatest, noGesture, wheelGesture, type ScrollGesture } from './followTail.js';
import { allLevels, toggleLevel, toggleSource } from './logFilter.js';
import { LogFilesPanel } from './LogFilesPanel.js';
import { nextError, nextMatch, previousMatch } from './logNavigation.js';
import { matchRanges, visibleText, type MatchRange } from './logSearch.js';
import { linesAsText, savedLogName } from './logText.js';
import { SearchMatches } from './searchMatches.js';
import { useLogsPerFrame } from './useLogsPerFrame.js';
import { noSourcesSeen, updateSourcesSeen, type SourcesSeen } from './sourcesSeen.js';

/** A row's height in pixels, as app.css sets it on .log-row (line-height 16 + 2 of padding). */
const logRowHeight = 18;

const noMatches: readonly MatchRange[] = [];

const LogRow = memo(function LogRow(props: { line: LogLine; query: string; current: boolean; selected: boolean; onSelect(seq: number, extend: boolean): void }) {
  const { line, query, current, selected, onSelect } = props;
  // Per text and query, so AnsiText's memo holds while the user is not typing. No query, no
  // second ANSI parse of the line (visibleText) in every row of every frame of a flood.
  const highlight = useMemo(() => (query === '' ? noMatches : matchRanges(visibleText(line.text), query)), [line.text, query]);
  return (
    <div
      className={`log-row level-${line.level}${current ? ' current-match' : ''}${selected ? ' selected' : ''}`}
      aria-selected={selected}
      onClick={(event: MouseEvent) => onSelect(line.seq, event.shiftKey)}
    >
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

/** The selected lines as a range of sequence numbers (either end first). */
interface Selection {
  anchor: number;
  focus: number;
}

function inSelection(selection: Selection | null, seq: number): boolean {
  if (!selection) return false;
  return seq >= Math.min(selection.anchor, selection.focus) && seq <= Math.max(selection.anchor, selection.focus);
}

export function LogsWindow() {
  // Once per frame however many batches arrived in it (useLogsPerFrame.ts).
  const logs = useLogsPerFrame();
  const loadError = useMirror((mirror) => mirror.loadError);
  const seenRef = useRef<SourcesSeen>(noSourcesSeen);
  seenRef.current = updateSourcesSeen(seenRef.current, logs.buffer);
  const sources = seenRef.current.sources;
  const held = heldLines(logs.buffer);
  const [hidden, setHidden] = useState<ReadonlySet<LogSource>>(() => new Set());
  const [levels, setLevels] = useState<ReadonlySet<LogLevel>>(() => new Set(allLevels));
  const [selection, setSelection] = useState<Selection | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  // The `seq` of the line the user last navigated to; null until they do. A seq, not an index:
  // indices shift as the cap trims the oldest lines.
  const [cursorSeq, setCursorSeq] = useState<number | null>(null);
  const [following, setFollowing] = useState(true);
  // The user's last scrolling gesture (wheel, keys, scrollbar drag): reaching or leaving the
  // bottom changes following only right after one, and only in its direction (followTail.ts).
  const lastGesture = useRef<ScrollGesture>(noGesture);
  const topVisible = useRef(0);
  const list = useRef<FixedRowListHandle>(null);
  // Built once per filter or query, then caught up with every batch (O(batch)) on render.
  // Syncing is idempotent, so a render React repeats or discards does no harm.
  const lines = useMemo(() => new FilteredLines({ hidden, levels }), [hidden, levels]);
  lines.sync(logs.buffer);
  const matches = useMemo(() => new SearchMatches(query), [query]);
  matches.sync(lines);
  const cursorIndex = cursorSeq === null ? -1 : lines.indexOfSeq(cursorSeq);
  const cursor = cursorIndex >= 0 ? cursorIndex : null;
  const currentMatch = cursor === null ? -1 : matches.positionOf(cursor);
  // At the cap a batch trims as many lines as it adds, so every index moves to a newer line.
  // Following, the list shows the tail whatever moved (FixedRowList). Scrolled up, the same
  // trimming would slide other lines under the reader: move the view up by as many rows as were
  // let go from the view's front since the last render, so not even a part of a row moves (a
  // top line trimmed itself leaves the view at the top). Counted in ordinals, which trimming
  // does not renumber: the rows shown were laid out from the view as it was then, and the
  // buffer under it has moved on since.
  const shownFrom = useRef({ lines, epoch: lines.epoch, firstOrdinal: lines.firstOrdinal });
  const sameView = shownFrom.current.lines === lines && shownFrom.current.epoch === lines.epoch;
  const letGo = sameView ? lines.firstOrdinal - shownFrom.current.firstOrdinal : 0;
  shownFrom.current = { lines, epoch: lines.epoch, firstOrdinal: lines.firstOrdinal };
  useLayoutEffect(() => {
    if (letGo > 0 && !following) list.current?.shiftRows(-letGo);
  });

  // "Jump to latest" and End: the newest line, followed from now on.
  const jumpToLatest = () => {
    setFollowing(true);
    setCursorSeq(null);
    list.current?.scrollToIndex({ index: 'LAST', align: 'end' });
  };

  // Navigating means the user wants to read that line: stop following the tail.
  const goTo = (index: number) => {
    const line = lines.at(index);
    if (!line) return;
    setFollowing(false);
    setCursorSeq(line.seq);
    list.current?.scrollToIndex({ index, align: 'center' });
  };
  const from = () => cursor ?? topVisible.current - 1;
  const step = (direction: 1 | -1) => {
    const position = direction === 1 ? nextMatch(matches, from()) : previousMatch(matches, from());
    const index = position === null ? undefined : matches.at(position);
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
  // Stable, so the rows' memo holds while lines stream in.
  const onSelect = useCallback((seq: number, extend: boolean) => {
    setSelection((current) => (extend && current ? { anchor: current.anchor, focus: seq } : { anchor: seq, focus: seq }));
  }, []);
  /** The selected lines that the filters show, or the whole filtered view when none is selected (O(lines), on click). */
  const chosenLines = (): readonly LogLine[] => {
    const shown: LogLine[] = [];
    for (let i = 0; i < lines.length; i += 1) shown.push(lines.at(i)!);
    const picked = selection ? shown.filter((line) => inSelection(selection, line.seq)) : [];
    return picked.length > 0 ? picked : shown;
  };
  const copy = async () => {
    const chosen = chosenLines();
    try {
      await navigator.clipboard.writeText(linesAsText(chosen));
      setCopied(`Copied ${chosen.length.toLocaleString()} line${chosen.length === 1 ? '' : 's'}`);
    } catch (error) {
      setCopied(`Could not copy: ${(error as Error).message}`);
    }
  };
  // A Blob and an <a download>: works the same in Electron and in the browser door.
  const save = () => {
    const url = URL.createObjectURL(new Blob([linesAsText(lines)], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = savedLogName(Date.now());
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  return (
    <div className="window logs-window">
      <ConnectionBanner />
      <div className="toolbar" role="toolbar" aria-label="Log sources">
        <ToggleGroup legend="Sources" values={sources} shown={new Set(sources.filter((source) => !hidden.has(source)))} onToggle={(source) => {
          setCursorSeq(null);
          setHidden((current) => toggleSource(current, source, sources));
        }} />
        <ToggleGroup legend="Levels" className="levels" values={allLevels} shown={levels} onToggle={(level) => {
          setCursorSeq(null);
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
        <span className="muted small" aria-live="off" aria-label="Line count">
          {lines.length.toLocaleString()} lines
        </span>
        <span className="muted small" aria-label="Lines not held" title="Lines let go by a ring buffer or the window's cap (trimmed), or never delivered because a source flooded (dropped)">
          {held.trimmed.toLocaleString()} trimmed · {held.dropped.toLocaleString()} dropped
        </span>
        <button type="button" onClick={() => inBackground('Could not copy', copy, (error) => setCopied(error.message))} title="Copies the selected lines, or every line shown when none is selected">
          {selection ? 'Copy selected' : 'Copy'}
        </button>
        {selection ? (
          <button type="button" onClick={() => setSelection(null)}>
            Clear selection
          </button>
        ) : null}
        <button type="button" onClick={save} title="Saves every line shown as a .log file">
          Save to file
        </button>
        {copied ? (
          <span className="muted small" role="status" aria-label="Copy result">
            {copied}
          </span>
        ) : null}
        <LogFilesPanel />
        <DiagnosticsButton />
      </div>
      {loadError ? <ErrorNote error={loadError} /> : null}
      <div
        className="log-list"
        role="log"
        aria-label="Log lines"
        // Scrolling up by wheel or keys means reading older lines: stop following at once (the
        // list may be a little off the bottom already while lines flood in).
        onWheel={(event) => {
          lastGesture.current = wheelGesture(event.deltaY, Date.now());
          if (event.deltaY < 0) setFollowing(false);
        }}
        onKeyDown={(event) => {
          if (keyJumpsToLatest(event.key)) {
            event.preventDefault();
            jumpToLatest();
            return;
          }
          const gesture = keyGesture(event.key, Date.now());
          if (!gesture) return;
          lastGesture.current = gesture;
          if (gesture.direction === 'up') setFollowing(false);
        }}
        // A press on the scroller itself is its scrollbar (rows and buttons are its children).
        onPointerDown={(event) => {
          if (event.target instanceof HTMLElement && event.target.hasAttribute('data-log-scroller')) {
            lastGesture.current = { at: Date.now(), direction: 'unknown' };
          }
        }}
      >
        <FixedRowList
          // Start at the newest line: remount when the first lines arrive or the filter changes.
          key={`${lines.length > 0}:${[...hidden].join(',')}:${[...levels].join(',')}`}
          ref={list}
          count={lines.length}
          // Every row is one line of the same height (app.css: .log-row).
          rowHeight={logRowHeight}
          renderRow={(index) => {
            const line = lines.at(index);
            return line ? (
              <LogRow line={line} query={query} current={line.seq === cursorSeq} selected={inSelection(selection, line.seq)} onSelect={onSelect} />
            ) : null;
          }}
          following={following}
          onBottomChange={(bottom) => {
            // Only the user's own scrolling changes following; a flood leaving the bottom does not.
            setFollowing((current) => followAfterBottomChange(current, bottom, lastGesture.current, Date.now()));
          }}
          onRangeChange={(firstVisible) => {
            topVisible.current = firstVisible;
          }}
          atBottomThreshold={24}
        />
        {!following ? (
          <button
            type="button"
            className="jump-latest"
            onClick={jumpToLatest}
          >
            Jump to latest
          </button>
        ) : null}
      </div>
    </div>
  );
}

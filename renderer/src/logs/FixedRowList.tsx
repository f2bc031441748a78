/**
 * The Logs window's virtualised list: rows of one fixed height in a scroller, only the rows in
 * view (and a few more) rendered. It replaced react-virtuoso because, traced under a 50k
 * lines/s flood, Virtuoso cost each frame two React renders (its scroll handler re-renders with
 * `flushSync` after every scroll, and following the tail scrolls every frame), read layout in
 * that handler, and unmounted and mounted every visible row per frame (rows keyed by line).
 *
 * Here what to render follows from arithmetic alone (rowWindow.ts): no row is measured and no
 * layout is read to decide it. Following the tail, a render shows the tail and a layout effect
 * moves the scroller there before the paint; the scroll event that echoes it finds the same
 * rows and renders nothing. Rows are keyed by their slot in the rendered window, so a new
 * line reuses the row element that showed the old one (its text updated in place) instead of
 * a remount. DOM order stays line order (screen readers, and "the last row" means the newest).
 *
 * Following the tail, the scroller holds only the newest rows (rowWindow.ts, `tailRows`), not
 * a million: a scroller millions of pixels tall, growing every frame, cost frames in a flood
 * where the same list only a few thousand rows tall missed none (README, Benchmarks). Positions in this file
 * are the full list's (row indices, `scrollTop.current`); only the DOM sees them less `base`
 * rows. Once the user scrolls away from the tail, or presses the scrollbar to drag it, the
 * scroller is the whole list again, at the same place on screen.
 */
import { Fragment, forwardRef, useCallback, useEffect, useImperativeHandle, useLayoutEffect, useReducer, useRef, useState, type ReactNode } from 'react';
import { clampScrollTop, isAtBottom, rowsAt, scrollerBase, scrollTopFor, tailScrollTop, type RowAlign, type RowGeometry } from './rowWindow.js';

export interface FixedRowListHandle {
  /** Scrolls so row `index` ('LAST': the newest) sits at the start, centre or end of the view. */
  scrollToIndex(target: { index: number | 'LAST'; align: RowAlign; offset?: number }): void;
  /** Moves the view by `rows` rows (negative: up), keeping the part of a row it shows. */
  shiftRows(rows: number): void;
}

export interface FixedRowListProps {
  count: number;
  rowHeight: number;
  renderRow(index: number): ReactNode;
  /** Keep the tail in view whatever arrives (and start there). */
  following: boolean;
  /** How close to the tail (px) still counts as at the bottom. */
  atBottomThreshold: number;
  onBottomChange(atBottom: boolean): void;
  /** After every render and every scroll: the rows in view (the lines at them may have moved). */
  onRangeChange(firstVisible: number, lastVisible: number): void;
}

/** Rows rendered beyond the view on either side, so a small scroll shows no gap. */
const overscan = 4;

export const FixedRowList = forwardRef<FixedRowListHandle, FixedRowListProps>(function FixedRowList(props, handle) {
  const { count, rowHeight, renderRow, following, atBottomThreshold } = props;
  const scroller = useRef<HTMLDivElement | null>(null);
  const [viewportHeight, setViewportHeight] = useState(0);
  // The scroller's position as last set or seen: a ref, so a scroll that shows the same rows
  // (the echo of following the tail) renders nothing.
  const scrollTop = useRef(0);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  // While the scrollbar is pressed it must span the whole list, so a drag moves through all of it.
  const [scrollbarHeld, setScrollbarHeld] = useState(false);
  const base = scrollerBase(count, following, scrollbarHeld);
  // The base the DOM has now (set when a render is committed), for reading and setting its scrollTop.
  const committedBase = useRef(base);
  const geometry: RowGeometry = { count, rowHeight, viewportHeight };
  const top = following ? tailScrollTop(geometry) : clampScrollTop(geometry, scrollTop.current);
  const range = rowsAt(geometry, top, overscan);
  const rendered = useRef(range);
  rendered.current = range;
  // The callbacks and geometry as of the last render, for the scroll handler.
  const latest = useRef({ props, geometry });
  latest.current = { props, geometry };
  const reported = useRef({ atBottom: true, firstVisible: -1, lastVisible: -1 });

  const report = useCallback((at: number) => {
    const { props: current, geometry: shape } = latest.current;
    const atBottom = isAtBottom(shape, at, current.atBottomThreshold);
    const { firstVisible, lastVisible } = rowsAt(shape, at, 0);
    const last = reported.current;
    reported.current = { atBottom, firstVisible, lastVisible };
    // Every time, not only on a change: at the cap the same indices show newer lines.
    current.onRangeChange(firstVisible, lastVisible);
    if (atBottom !== last.atBottom) current.onBottomChange(atBottom);
  }, []);

  const moveTo = useCallback((target: number) => {
    scrollTop.current = target;
    const element = scroller.current;
    const inScroller = target - committedBase.current * latest.current.geometry.rowHeight;
    if (element && element.scrollTop !== inScroller) element.scrollTop = inScroller;
  }, []);

  // A render that changed the base: the same rows stay on screen at a new scrollTop (following,
  // the effect below puts the tail there anyway).
  useLayoutEffect(() => {
    if (committedBase.current === base) return;
    committedBase.current = base;
    if (!following) moveTo(scrollTop.current);
  });

  useEffect(() => {
    if (!scrollbarHeld) return;
    const release = () => setScrollbarHeld(false);
    window.addEventListener('pointerup', release);
    window.addEventListener('pointercancel', release);
    return () => {
      window.removeEventListener('pointerup', release);
      window.removeEventListener('pointercancel', release);
    };
  }, [scrollbarHeld]);

  // The viewport's height: measured on mount and whenever the window resizes, never per frame.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    setViewportHeight(element.clientHeight);
    const observer = new ResizeObserver(() => setViewportHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // Start at the newest line, as a log reader expects (also after a filter remounts the list).
  const started = useRef(false);
  useLayoutEffect(() => {
    if (started.current || viewportHeight === 0) return;
    started.current = true;
    moveTo(tailScrollTop(geometry));
    rerender();
  });

  // Following: the rows rendered are the tail's; put the scroller there before the paint.
  useLayoutEffect(() => {
    if (following) moveTo(top);
    report(following ? top : scrollTop.current);
  });

  const onScroll = useCallback(() => {
    const element = scroller.current;
    if (!element) return;
    scrollTop.current = element.scrollTop + committedBase.current * latest.current.geometry.rowHeight;
    report(scrollTop.current);
    const { geometry: shape } = latest.current;
    const now = rowsAt(shape, scrollTop.current, overscan);
    // A scroll within the rows already rendered (or the echo of our own move) renders nothing.
    const was = rendered.current;
    if (now.firstVisible !== was.firstVisible || now.lastVisible !== was.lastVisible) rerender();
  }, [report]);

  useImperativeHandle(
    handle,
    () => ({
      scrollToIndex({ index, align, offset }) {
        const { geometry: shape } = latest.current;
        const target = index === 'LAST' ? tailScrollTop(shape) : scrollTopFor(shape, index, align, offset);
        moveTo(target);
        rerender();
      },
      shiftRows(rows) {
        const { geometry: shape } = latest.current;
        moveTo(clampScrollTop(shape, scrollTop.current + rows * shape.rowHeight));
        rerender();
      },
    }),
    [moveTo],
  );

  const rows: ReactNode[] = [];
  for (let index = range.first; index < range.end; index += 1) {
    // Keyed by slot: the row element that showed the old line at this slot shows the new one.
    rows.push(<Fragment key={index - range.first}>{renderRow(index)}</Fragment>);
  }
  return (
    <div
      ref={scroller}
      data-log-scroller=""
      tabIndex={0}
      onScroll={onScroll}
      // A press on the scroller itself is on its scrollbar (rows are its children).
      onPointerDown={(event) => {
        if (event.target === scroller.current) setScrollbarHeld(true);
      }}
      // Strict containment: nothing inside changes the layout outside, so a frame's new rows
      // lay out only themselves. No scroll anchoring: this list places the view itself, and the
      // browser's own correction when rows change under it would move the view a second time.
      style={{ height: '100%', overflow: 'auto', contain: 'strict', overflowAnchor: 'none', outline: 'none' }}
    >
      <div style={{ height: (count - base) * rowHeight, position: 'relative' }}>
        <div style={{ position: 'absolute', left: 0, right: 0, top: 0, transform: `translateY(${(range.first - base) * rowHeight}px)` }}>{rows}</div>
      </div>
    </div>
  );
});

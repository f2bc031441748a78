/**
 * The arithmetic of a list whose rows all have one height (the Logs window's 18 px lines):
 * which rows a scroll position shows, where the tail is, where a row is brought into view, and
 * whether the view is at the bottom. No measuring: every answer follows from the row count, the
 * row height and the viewport, so the list (FixedRowList.tsx) never reads layout to decide
 * what to render. Pure, apart from the component so it is tested without a DOM.
 */

export interface RowGeometry {
  count: number;
  rowHeight: number;
  /** The scroller's client height (the part the rows show in). */
  viewportHeight: number;
}

/** Rows `first` to `end` (exclusive) are rendered; `firstVisible` is the topmost one in view. */
export interface RowRange {
  first: number;
  end: number;
  firstVisible: number;
  /** The last row at least partly in view (-1 with no rows). */
  lastVisible: number;
}

/** The largest scrollTop the rows allow: the tail's position. */
export function tailScrollTop({ count, rowHeight, viewportHeight }: RowGeometry): number {
  return Math.max(0, count * rowHeight - viewportHeight);
}

export function clampScrollTop(geometry: RowGeometry, scrollTop: number): number {
  return Math.min(Math.max(0, scrollTop), tailScrollTop(geometry));
}

/** The rows to render at `scrollTop`, with `overscan` more on either side. */
export function rowsAt(geometry: RowGeometry, scrollTop: number, overscan: number): RowRange {
  const { count, rowHeight, viewportHeight } = geometry;
  if (count === 0 || viewportHeight <= 0) return { first: 0, end: 0, firstVisible: 0, lastVisible: -1 };
  const top = clampScrollTop(geometry, scrollTop);
  const firstVisible = Math.min(count - 1, Math.floor(top / rowHeight));
  // A row counts as in view when any of it is above the viewport's bottom edge.
  const lastVisible = Math.min(count - 1, Math.ceil((top + viewportHeight) / rowHeight) - 1);
  return {
    first: Math.max(0, firstVisible - overscan),
    end: Math.min(count, lastVisible + 1 + overscan),
    firstVisible,
    lastVisible,
  };
}

export type RowAlign = 'start' | 'center' | 'end';

/**
 * The scrollTop that shows row `index` at the viewport's start, centre or end, plus `offset`
 * pixels (at the start: how far the row's top sits above the edge), clamped to the rows.
 */
export function scrollTopFor(geometry: RowGeometry, index: number, align: RowAlign, offset = 0): number {
  const { rowHeight, viewportHeight } = geometry;
  const rowTop = index * rowHeight;
  const raw = align === 'start' ? rowTop : align === 'end' ? rowTop + rowHeight - viewportHeight : rowTop - (viewportHeight - rowHeight) / 2;
  return clampScrollTop(geometry, Math.round(raw + offset));
}

/** Whether `scrollTop` is within `threshold` pixels of the tail. */
export function isAtBottom(geometry: RowGeometry, scrollTop: number, threshold: number): boolean {
  return scrollTop >= tailScrollTop(geometry) - threshold;
}

/** Rows the scroller holds while following the tail (FixedRowList.tsx says why). */
export const tailRows = 2000;

/**
 * The rows above the scroller's own top: the ones a tail-following scroller leaves out. None
 * while the user reads elsewhere or holds the scrollbar, which then spans the whole list.
 */
export function scrollerBase(count: number, following: boolean, scrollbarHeld: boolean): number {
  return following && !scrollbarHeld ? Math.max(0, count - tailRows) : 0;
}

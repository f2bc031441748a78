import { describe, expect, it } from 'vitest';
import { clampScrollTop, isAtBottom, rowsAt, scrollerBase, scrollTopFor, tailRows, tailScrollTop } from './rowWindow.js';

const geometry = { count: 1000, rowHeight: 18, viewportHeight: 180 };

describe('rowWindow', () => {
  it('puts the tail where the last row ends at the viewport bottom, and at 0 when the rows do not fill it', () => {
    expect(tailScrollTop(geometry)).toBe(1000 * 18 - 180);
    expect(tailScrollTop({ ...geometry, count: 5 })).toBe(0);
    expect(clampScrollTop(geometry, 1e9)).toBe(tailScrollTop(geometry));
    expect(clampScrollTop(geometry, -5)).toBe(0);
  });

  it('renders the rows in view and the overscan, no further than the rows go', () => {
    expect(rowsAt(geometry, 0, 3)).toEqual({ first: 0, end: 13, firstVisible: 0, lastVisible: 9 });
    // Half a row scrolled: rows 0..10 are partly in view.
    expect(rowsAt(geometry, 9, 3)).toEqual({ first: 0, end: 14, firstVisible: 0, lastVisible: 10 });
    expect(rowsAt(geometry, 18 * 100, 2)).toEqual({ first: 98, end: 112, firstVisible: 100, lastVisible: 109 });
    expect(rowsAt(geometry, tailScrollTop(geometry), 4)).toEqual({ first: 986, end: 1000, firstVisible: 990, lastVisible: 999 });
  });

  it('clamps a scroll position the rows no longer reach (the filter or the cap shrank them)', () => {
    expect(rowsAt({ ...geometry, count: 20 }, 18 * 500, 0)).toEqual({ first: 10, end: 20, firstVisible: 10, lastVisible: 19 });
    expect(rowsAt({ ...geometry, count: 3 }, 0, 5)).toEqual({ first: 0, end: 3, firstVisible: 0, lastVisible: 2 });
  });

  it('renders nothing with no rows or no viewport yet', () => {
    expect(rowsAt({ ...geometry, count: 0 }, 0, 5).end).toBe(0);
    expect(rowsAt({ ...geometry, viewportHeight: 0 }, 0, 5).end).toBe(0);
  });

  it('brings a row to the start (plus an offset), the centre or the end', () => {
    expect(scrollTopFor(geometry, 100, 'start')).toBe(1800);
    expect(scrollTopFor(geometry, 100, 'start', 7)).toBe(1807);
    expect(scrollTopFor(geometry, 100, 'end')).toBe(1800 + 18 - 180);
    expect(scrollTopFor(geometry, 100, 'center')).toBe(1800 - 81);
    expect(scrollTopFor(geometry, 2, 'center')).toBe(0);
    expect(scrollTopFor(geometry, 999, 'start')).toBe(tailScrollTop(geometry));
  });

  it('is at the bottom within the threshold of the tail only', () => {
    const tail = tailScrollTop(geometry);
    expect(isAtBottom(geometry, tail, 24)).toBe(true);
    expect(isAtBottom(geometry, tail - 24, 24)).toBe(true);
    expect(isAtBottom(geometry, tail - 25, 24)).toBe(false);
    expect(isAtBottom({ ...geometry, count: 2 }, 0, 0)).toBe(true);
  });

  it('leaves all but the newest rows out of the scroller only while following and the scrollbar is not held', () => {
    expect(scrollerBase(1_000_000, true, false)).toBe(1_000_000 - tailRows);
    expect(scrollerBase(tailRows - 1, true, false)).toBe(0);
    expect(scrollerBase(1_000_000, false, false)).toBe(0);
    expect(scrollerBase(1_000_000, true, true)).toBe(0);
  });
});

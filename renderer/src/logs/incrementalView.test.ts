import { describe, expect, it } from 'vitest';
import type { LogLevel, LogLine, LogSource } from '../api/contract.js';
import type { Indexed } from '../state/indexed.js';
import { LogBuffer } from '../state/logBuffer.js';
import { FilteredLines, type LineFilter } from './filteredLines.js';
import { allLevels } from './logFilter.js';
import { nextMatch, previousMatch } from './logNavigation.js';
import { matchingLines } from './logSearch.js';
import { SearchMatches } from './searchMatches.js';

const sources: LogSource[] = ['app', 'vm-console', 'qemu'];
const line = (seq: number): LogLine => ({
  seq,
  time: 1_700_000_000_000 + seq,
  source: sources[seq % 3]!,
  level: allLevels[seq % 4]!,
  // Every seventh line says "boom", every eleventh in colour, split by an escape.
  text: seq % 11 === 0 ? `\u001b[31mbo\u001b[0mom ${seq}` : seq % 7 === 0 ? `BOOM ${seq}` : `line ${seq}`,
});
const run = (from: number, count: number): LogLine[] => Array.from({ length: count }, (_, i) => line(from + i));
const all = <T,>(list: Indexed<T>): T[] => Array.from({ length: list.length }, (_, i) => list.at(i)!);
const filter = (hidden: LogSource[], levels: LogLevel[] = [...allLevels]): LineFilter => ({ hidden: new Set(hidden), levels: new Set(levels) });

/** What a from-scratch filter and search over everything held would give. */
function expected(buffer: LogBuffer, lineFilter: LineFilter, query: string): { seqs: number[]; matches: number[] } {
  const shown = buffer.toArray().filter((l) => !lineFilter.hidden.has(l.source) && lineFilter.levels.has(l.level));
  return { seqs: shown.map((l) => l.seq), matches: matchingLines(shown, query) };
}

describe('the Logs window incremental view', () => {
  it('filters by source and level as new lines arrive', () => {
    const buffer = new LogBuffer(100);
    const view = new FilteredLines(filter(['qemu'], ['info', 'error']));
    expect(view.showsAll).toBe(false);
    buffer.merge(run(0, 6));
    view.sync(buffer);
    expect(all(view).map((l) => l.seq)).toEqual([1, 3]);
    buffer.merge(run(6, 6));
    view.sync(buffer);
    expect(all(view).map((l) => l.seq)).toEqual([1, 3, 7, 9]);
    expect(view.indexOfSeq(7)).toBe(2);
    expect(view.indexOfSeq(2)).toBe(-1);
  });

  it('is the buffer itself when nothing is filtered out', () => {
    const buffer = new LogBuffer(100);
    const view = new FilteredLines(filter([]));
    buffer.merge(run(0, 5));
    view.sync(buffer);
    expect(view.showsAll).toBe(true);
    expect(all(view).map((l) => l.seq)).toEqual([0, 1, 2, 3, 4]);
  });

  it('finds matches in new lines only, case-insensitively and through colour escapes', () => {
    const buffer = new LogBuffer(100);
    const view = new FilteredLines(filter([]));
    const matches = new SearchMatches('boom');
    buffer.merge(run(0, 10));
    view.sync(buffer);
    matches.sync(view);
    expect(all(matches)).toEqual([0, 7]);
    buffer.merge(run(10, 5));
    view.sync(buffer);
    matches.sync(view);
    expect(all(matches)).toEqual([0, 7, 11, 14]);
    expect(matches.positionOf(11)).toBe(2);
    expect(matches.positionOf(12)).toBe(-1);
    // Navigation works on the live matches as on an array.
    expect(nextMatch(matches, 7)).toBe(2);
    expect(previousMatch(matches, 7)).toBe(0);
  });

  it('shifts indices when the cap trims the oldest lines, keeping matches on the same lines', () => {
    const buffer = new LogBuffer(20);
    const view = new FilteredLines(filter(['app']));
    const matches = new SearchMatches('boom');
    buffer.merge(run(0, 20));
    view.sync(buffer);
    matches.sync(view);
    const matchedBefore = all(matches).map((index) => view.at(index)!.seq);
    expect(matchedBefore).toEqual([7, 11, 14]);
    buffer.merge(run(20, 9)); // lets go of seq 0..8
    view.sync(buffer);
    matches.sync(view);
    const want = expected(buffer, filter(['app']), 'boom');
    expect(all(view).map((l) => l.seq)).toEqual(want.seqs);
    expect(all(matches)).toEqual(want.matches);
    expect(all(matches).map((index) => view.at(index)!.seq)).toEqual([11, 14, 22, 28]);
  });

  it('starts over when the buffer renumbered its lines (an out-of-order merge) or was replaced', () => {
    const buffer = new LogBuffer(50);
    const view = new FilteredLines(filter(['qemu']));
    const matches = new SearchMatches('boom');
    buffer.merge(run(20, 10));
    view.sync(buffer);
    matches.sync(view);
    const epoch = view.epoch;
    buffer.merge(run(0, 25)); // the reconnect tail, older and overlapping
    view.sync(buffer);
    matches.sync(view);
    expect(view.epoch).not.toBe(epoch);
    const want = expected(buffer, filter(['qemu']), 'boom');
    expect(all(view).map((l) => l.seq)).toEqual(want.seqs);
    expect(all(matches)).toEqual(want.matches);
    const fresh = new LogBuffer(50);
    fresh.merge([line(3)]);
    view.sync(fresh);
    matches.sync(view);
    expect(all(view).map((l) => l.seq)).toEqual([3]);
    expect(all(matches)).toEqual([]);
  });

  it('agrees with filtering and searching from scratch over many batches at the cap', () => {
    for (const lineFilter of [filter([]), filter(['vm-console'], ['warn', 'error', 'debug'])]) {
      const buffer = new LogBuffer(1500);
      const view = new FilteredLines(lineFilter);
      const matches = new SearchMatches('Boom');
      let seq = 0;
      for (let batch = 0; batch < 120; batch += 1) {
        const size = 1 + ((batch * 37) % 90);
        buffer.merge(run(seq, size));
        seq += size;
        // Not synced after every batch: a render may skip some.
        if (batch % 3 === 0) continue;
        view.sync(buffer);
        matches.sync(view);
        const want = expected(buffer, lineFilter, 'Boom');
        expect(all(view).map((l) => l.seq)).toEqual(want.seqs);
        expect(all(matches)).toEqual(want.matches);
      }
    }
  });
});

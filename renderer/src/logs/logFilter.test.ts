import { describe, expect, it } from 'vitest';
import type { LogLine, LogSource } from '../api/contract.js';
import { fixedSources, filterBySource, toggleSource } from './logFilter.js';

const line = (seq: number, source: LogSource): LogLine => ({ seq, time: seq, source, level: 'info', text: '' });
const lines = [line(1, 'app'), line(2, 'vm-console'), line(3, 'qemu'), line(4, 'build:b1'), line(5, 'vm-console')];
const sources: LogSource[] = [...fixedSources, 'build:b1'];

describe('the Logs window source filter', () => {
  it('shows every line when no source is hidden', () => {
    expect(filterBySource(lines, new Set())).toBe(lines);
  });

  it('hides the unticked sources, builds included', () => {
    const hidden = toggleSource(toggleSource(new Set(), 'vm-console', sources), 'build:b1', sources);
    expect(filterBySource(lines, hidden).map((l) => l.seq)).toEqual([1, 3]);
    expect(filterBySource(lines, toggleSource(hidden, 'build:b1', sources)).map((l) => l.seq)).toEqual([1, 3, 4]);
  });

  it('never lets the user untick the last visible source', () => {
    let hidden = new Set<LogSource>();
    for (const source of sources) hidden = toggleSource(hidden, source, sources);
    expect(sources.filter((source) => !hidden.has(source))).toEqual(['build:b1']);
  });
});

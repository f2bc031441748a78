import { describe, expect, it } from 'vitest';
import type { LogLine, LogSource } from '../api/contract.js';
import { allSources, filterBySource, toggleSource } from './logFilter.js';

const line = (seq: number, source: LogSource): LogLine => ({ seq, time: seq, source, level: 'info', text: '' });
const lines = [line(1, 'app'), line(2, 'vm-console'), line(3, 'qemu'), line(4, 'ssh'), line(5, 'vm-console')];

describe('the Logs window source filter', () => {
  it('shows every line when every source is ticked', () => {
    expect(filterBySource(lines, new Set(allSources))).toBe(lines);
  });

  it('shows only the ticked sources', () => {
    expect(filterBySource(lines, new Set<LogSource>(['vm-console'])).map((l) => l.seq)).toEqual([2, 5]);
  });

  it('never lets the user untick the last source', () => {
    const only = new Set<LogSource>(['ssh']);
    expect([...toggleSource(only, 'ssh')]).toEqual(['ssh']);
    expect(toggleSource(only, 'app').has('app')).toBe(true);
    expect(toggleSource(new Set(allSources), 'qemu').has('qemu')).toBe(false);
  });
});

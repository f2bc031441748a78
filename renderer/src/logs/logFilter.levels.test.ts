import { describe, expect, it } from 'vitest';
import type { LogLevel, LogLine } from '../api/contract.js';
import { allLevels, filterByLevel, toggleLevel } from './logFilter.js';

const line = (seq: number, level: LogLevel): LogLine => ({ seq, time: seq, source: 'app', level, text: '' });
const lines = [line(1, 'debug'), line(2, 'info'), line(3, 'warn'), line(4, 'error'), line(5, 'info')];

describe('the Logs window level filter', () => {
  it('shows every line when every level is ticked', () => {
    expect(filterByLevel(lines, new Set(allLevels))).toBe(lines);
  });

  it('hides the unticked levels', () => {
    expect(filterByLevel(lines, toggleLevel(new Set(allLevels), 'info')).map((l) => l.seq)).toEqual([1, 3, 4]);
  });

  it('never lets the user untick the last level', () => {
    expect([...toggleLevel(new Set<LogLevel>(['error']), 'error')]).toEqual(['error']);
  });
});

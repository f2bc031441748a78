import { describe, expect, it } from 'vitest';
import type { LogLine, LogSource } from '../api/contract.js';
import { heldLines } from './heldLines.js';
import { linesAsText, savedLogName } from './logText.js';
import { LogBuffer } from '../state/logBuffer.js';
import { noSourcesSeen, updateSourcesSeen } from './sourcesSeen.js';

const line = (seq: number, source: LogSource = 'app', text = `t${seq}`): LogLine => ({ seq, time: Date.UTC(2026, 10, 24, 22, 0, 0, seq), source, level: 'warn', text });

describe('Logs window helpers', () => {
  it('writes lines as plain text with timestamps, level and source, without ANSI escapes', () => {
    expect(linesAsText([line(1, 'build:b1', '\u001b[31;1merror:\u001b[0m builder failed'), line(2)])).toBe(
      '2026-11-24T22:00:00.001Z WARN  [build:b1] error: builder failed\n2026-11-24T22:00:00.002Z WARN  [app] t2\n',
    );
    expect(savedLogName(Date.UTC(2026, 10, 24, 22, 10, 5, 123))).toBe('builder-bar-logs-2026-11-24T22-10-05Z.log');
  });

  it('counts the lines let go before the first held one and the gaps between held ones', () => {
    expect(heldLines([])).toEqual({ trimmed: 0, dropped: 0 });
    expect(heldLines([line(0), line(1)])).toEqual({ trimmed: 0, dropped: 0 });
    expect(heldLines([line(500), line(501), line(600)])).toEqual({ trimmed: 500, dropped: 98 });
  });

  it('adds build sources as they appear, reading only new lines', () => {
    const held = (lines: LogLine[]) => {
      const buffer = new LogBuffer(100);
      buffer.merge(lines);
      return buffer;
    };
    const first = updateSourcesSeen(noSourcesSeen, held([line(1), line(2, 'build:a')]));
    expect(first.sources.slice(-1)).toEqual(['build:a']);
    expect(updateSourcesSeen(first, held([line(1), line(2, 'build:a')]))).toBe(first);
    expect(updateSourcesSeen(first, held([]))).toBe(first);
    // A line older than the last look is not read again (it could only repeat a known source).
    const second = updateSourcesSeen(first, held([line(1, 'build:old'), line(2, 'build:a'), line(3, 'build:b'), line(4, 'build:a')]));
    expect(second.sources.slice(-2)).toEqual(['build:a', 'build:b']);
    expect(second.lastSeq).toBe(4);
  });
});

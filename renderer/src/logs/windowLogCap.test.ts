import { describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW_LOG_CAP, windowLogCap } from './windowLogCap.js';

describe('windowLogCap', () => {
  it('holds a million lines unless the address asks for fewer', () => {
    expect(windowLogCap('')).toBe(DEFAULT_WINDOW_LOG_CAP);
    expect(windowLogCap('?cap=160000')).toBe(160_000);
    expect(windowLogCap('?other=1&cap=5000')).toBe(5_000);
  });
  it('keeps a sane range and ignores what is not a number', () => {
    expect(windowLogCap('?cap=5')).toBe(1_000);
    expect(windowLogCap('?cap=9999999')).toBe(DEFAULT_WINDOW_LOG_CAP);
    expect(windowLogCap('?cap=-3')).toBe(DEFAULT_WINDOW_LOG_CAP);
    expect(windowLogCap('?cap=1e6')).toBe(DEFAULT_WINDOW_LOG_CAP);
    expect(windowLogCap('?cap=')).toBe(DEFAULT_WINDOW_LOG_CAP);
  });
});

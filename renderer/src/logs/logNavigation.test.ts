import { describe, expect, it } from 'vitest';
import type { LogLevel } from '../api/contract.js';
import { nextError, nextMatch, previousMatch } from './logNavigation.js';

const matches = [2, 5, 9];

describe('search navigation', () => {
  it('goes to the first match after the current line, wrapping to the first', () => {
    expect(nextMatch(matches, -1)).toBe(0);
    expect(nextMatch(matches, 2)).toBe(1);
    expect(nextMatch(matches, 6)).toBe(2);
    expect(nextMatch(matches, 9)).toBe(0);
  });

  it('goes to the last match before the current line, wrapping to the last', () => {
    expect(previousMatch(matches, 5)).toBe(0);
    expect(previousMatch(matches, 100)).toBe(2);
    expect(previousMatch(matches, 2)).toBe(2);
  });

  it('has nowhere to go without matches', () => {
    expect(nextMatch([], 0)).toBeNull();
    expect(previousMatch([], 0)).toBeNull();
  });
});

describe('next error', () => {
  const at = (levels: LogLevel[]) => ({ length: levels.length, levelAt: (index: number) => levels[index]! });

  it('finds the next error after the current line and wraps around', () => {
    const lines = at(['info', 'error', 'warn', 'debug', 'error', 'info']);
    expect(nextError(lines, -1)).toBe(1);
    expect(nextError(lines, 1)).toBe(4);
    expect(nextError(lines, 4)).toBe(1);
  });

  it('returns null when no line is an error', () => {
    expect(nextError(at(['info', 'warn']), 0)).toBeNull();
    expect(nextError(at([]), 0)).toBeNull();
  });
});

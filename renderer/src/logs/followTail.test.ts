import { describe, expect, it } from 'vitest';
import { GESTURE_WINDOW_MS, followAfterBottomChange, keyGesture, keyJumpsToLatest, noGesture, wheelGesture } from './followTail.js';

describe('followAfterBottomChange', () => {
  const now = 50_000;
  it('ignores bottom changes the user did not cause (a flood, settling onto the tail)', () => {
    expect(followAfterBottomChange(true, false, noGesture, now)).toBe(true);
    expect(followAfterBottomChange(false, true, noGesture, now)).toBe(false);
    expect(followAfterBottomChange(true, false, wheelGesture(-100, now - GESTURE_WINDOW_MS), now)).toBe(true);
  });
  it('stops following when the user scrolls up off the bottom, resumes when they scroll down onto it', () => {
    expect(followAfterBottomChange(true, false, wheelGesture(-100, now - 10), now)).toBe(false);
    expect(followAfterBottomChange(false, true, wheelGesture(100, now - 10), now)).toBe(true);
    expect(followAfterBottomChange(false, true, keyGesture('PageDown', now - 10)!, now)).toBe(true);
  });
  it('never resumes following after an upward gesture, even if the view lands on the tail', () => {
    expect(followAfterBottomChange(false, true, wheelGesture(-2_000, now - 200), now)).toBe(false);
    expect(followAfterBottomChange(false, true, keyGesture('PageUp', now - 200)!, now)).toBe(false);
  });
  it('a downward gesture that momentarily leaves the bottom does not stop following', () => {
    expect(followAfterBottomChange(true, false, wheelGesture(100, now - 10), now)).toBe(true);
  });
  it('follows a scrollbar drag either way', () => {
    const drag = { at: now - 10, direction: 'unknown' as const };
    expect(followAfterBottomChange(true, false, drag, now)).toBe(false);
    expect(followAfterBottomChange(false, true, drag, now)).toBe(true);
  });
  it('knows which keys scroll', () => {
    expect(keyGesture('a', now)).toBeNull();
    expect(keyGesture('Home', now)?.direction).toBe('up');
    expect(keyGesture(' ', now)?.direction).toBe('down');
  });
  it('End jumps to the latest line itself, other keys scroll as the browser does', () => {
    expect(keyJumpsToLatest('End')).toBe(true);
    expect(keyJumpsToLatest('PageDown')).toBe(false);
    expect(keyJumpsToLatest('Home')).toBe(false);
  });
});

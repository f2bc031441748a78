import { describe, expect, it, vi } from 'vitest';
import { CloseSignal } from './closeSignal.js';

describe('CloseSignal', () => {
  it('calls each listener once, not removed ones, and late listeners at once', async () => {
    const signal = new CloseSignal();
    const early = vi.fn();
    const removed = vi.fn();
    signal.onClose(early);
    signal.onClose(removed)();
    expect(signal.close()).toBe(true);
    expect(signal.close()).toBe(false);
    expect(signal.isClosed).toBe(true);
    expect(early).toHaveBeenCalledTimes(1);
    expect(removed).not.toHaveBeenCalled();
    const late = vi.fn();
    signal.onClose(late);
    await Promise.resolve();
    expect(late).toHaveBeenCalledTimes(1);
  });
});

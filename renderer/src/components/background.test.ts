import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { ErrorInfo } from '../api/contract.js';
import { failureDetail, failureInfo, inBackground } from './background.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('inBackground', () => {
  let consoleError: MockInstance<typeof console.error>;
  beforeEach(() => {
    consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => consoleError.mockRestore());

  it('runs the work and says nothing when it succeeds', async () => {
    const shown: ErrorInfo[] = [];
    let done = false;
    inBackground('Could not save', async () => {
      await settle();
      done = true;
    }, (error) => shown.push(error));
    await settle();
    await settle();
    expect(done).toBe(true);
    expect(shown).toEqual([]);
    expect(consoleError).not.toHaveBeenCalled();
  });

  it('shows a rejection where the component shows its errors, and logs it with what was being done', async () => {
    const shown: ErrorInfo[] = [];
    const cause = new Error('the socket closed');
    inBackground('Could not save diagnostics', () => Promise.reject(cause), (error) => shown.push(error));
    await settle();
    expect(shown).toEqual([
      { code: 'internal', message: 'Could not save diagnostics: the socket closed', hint: expect.stringMatching(/try again/) },
    ]);
    expect(consoleError).toHaveBeenCalledWith('Builder Bar: Could not save diagnostics.', cause);
  });

  it('catches a synchronous throw of the work too', () => {
    const shown: ErrorInfo[] = [];
    expect(() =>
      inBackground('Could not start the build', () => {
        throw new TypeError('door.api.startBuild is not a function');
      }, (error) => shown.push(error)),
    ).not.toThrow();
    expect(shown.map((error) => error.message)).toEqual(['Could not start the build: door.api.startBuild is not a function']);
    expect(consoleError).toHaveBeenCalledTimes(1);
  });

  it('lets no rejection escape when there is nowhere to show it, or when showing it fails', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      inBackground('Could not refresh', () => Promise.reject(new Error('gone')));
      inBackground('Could not cancel', () => Promise.reject(new Error('gone')), () => {
        throw new Error('the error note is gone too');
      });
      await settle();
      await settle();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    // Both failures, and the failure to show the second, reach the console.
    expect(consoleError).toHaveBeenCalledTimes(3);
  });
});

describe('failureDetail', () => {
  it('reads whatever was thrown without throwing itself', () => {
    expect(failureDetail(new Error('boom'))).toBe('boom');
    expect(failureDetail(new RangeError(''))).toBe('RangeError');
    expect(failureDetail('plain words')).toBe('plain words');
    expect(failureDetail(42)).toBe('42');
    expect(failureDetail({})).toBe('an unexpected failure');
    expect(failureDetail(Object.create(null))).toBe('an unexpected failure');
    expect(failureDetail(undefined)).toBe('undefined');
  });

  it('words a failure like an error from the core', () => {
    expect(failureInfo('Could not add the builder', new Error('x'))).toMatchObject({ code: 'internal', message: 'Could not add the builder: x' });
  });
});

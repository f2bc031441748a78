import { describe, expect, it } from 'vitest';
import { stallWatchFor, underStallWatchdog } from './stallWatchdog.js';

/** A probe that waits until its signal aborts, then throws as an aborted probe does. */
const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('probe aborted')), { once: true }));

describe('a probe under a stall watchdog', () => {
  it('answers not stalled when the probe ends in time', async () => {
    expect(await underStallWatchdog(1_000, new AbortController().signal, async () => undefined)).toEqual({ stalled: false });
  });

  it('aborts the probe when the limit passes, and swallows what the aborted probe threw', async () => {
    expect(await underStallWatchdog(20, new AbortController().signal, untilAborted)).toEqual({ stalled: true });
  });

  it('passes the caller’s abort on to the probe, and rethrows its failure: it was not a stall', async () => {
    const caller = new AbortController();
    const run = underStallWatchdog(60_000, caller.signal, untilAborted);
    caller.abort();
    await expect(run).rejects.toThrow('probe aborted');
  });

  it('rethrows a probe’s own failure before the limit', async () => {
    await expect(underStallWatchdog(60_000, new AbortController().signal, async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
  });
});

describe('what a start is watched for', () => {
  const limits = { restoredReadyMs: 60_000, acceleratedReadyMs: 90_000 };

  it('a restored guest, under any accelerator: its snapshot, within the restore limit', () => {
    for (const accelerator of ['tcg', 'kvm', 'hvf']) {
      expect(stallWatchFor({ restored: true, accelerator }, limits)).toEqual({
        limitMs: 60_000,
        why: 'The builder restored from its snapshot did not answer within 60 s',
        cure: 'drop-snapshot',
      });
    }
  });

  it('a cold boot: the accelerator under kvm or hvf, nothing but its own timeout under TCG', () => {
    expect(stallWatchFor({ restored: false, accelerator: 'kvm' }, limits)).toEqual({
      limitMs: 90_000,
      why: 'kvm passed its probe, but the builder did not answer within 90 s under it',
      cure: 'use-tcg',
    });
    expect(stallWatchFor({ restored: false, accelerator: 'tcg' }, limits)).toBeNull();
  });
});

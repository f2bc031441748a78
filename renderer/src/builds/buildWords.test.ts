import { describe, expect, it } from 'vitest';
import { buildDuration, buildSourceMark, describeProgress, describeTarget } from './buildWords.js';

describe('how a build is described', () => {
  it('shows the target as the command line names it', () => {
    expect(describeTarget({ kind: 'file', file: '/w/job.nix', attr: 'hello' })).toBe('/w/job.nix -A hello');
    expect(describeTarget({ kind: 'file', file: '/w/job.nix' })).toBe('/w/job.nix');
    expect(describeTarget({ kind: 'installable', installable: 'nixpkgs#hello' })).toBe('nixpkgs#hello');
  });

  it('shows progress with running and failed only when there are some', () => {
    expect(describeProgress({ done: 0, expected: 1, running: 0, failed: 0 })).toBe('0/1 done');
    expect(describeProgress({ done: 1, expected: 3, running: 1, failed: 1 })).toBe('1/3 done · 1 running · 1 failed');
  });

  it('counts a running build up to now and a finished one to its end', () => {
    expect(buildDuration(1_000, null, 66_000)).toBe('1m 5s');
    expect(buildDuration(1_000, 4_000, 999_999)).toBe('3s');
    expect(buildDuration(null, null, 5)).toBe('—');
  });

  it('marks where a build came from: another Nix process on the machine, or Builder Bar (also for builds kept before the mark existed)', () => {
    expect(buildSourceMark({ source: 'external' })).toMatchObject({ label: 'external', external: true });
    expect(buildSourceMark({ source: 'builder-bar' })).toMatchObject({ label: 'Builder Bar', external: false });
    expect(buildSourceMark({})).toMatchObject({ label: 'Builder Bar', external: false });
    expect(describeTarget({ kind: 'external', description: 'hello and 2 more' })).toBe('hello and 2 more');
  });
});

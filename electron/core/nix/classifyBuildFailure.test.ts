import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classifyBuildFailure } from './classifyBuildFailure.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../resources/nix/fixtures/${name}`, import.meta.url)), 'utf8');
const confDir = { trusted: true, systemTarget: false };

describe('classifyBuildFailure on stderr recorded from nix-build 2.8 here', () => {
  it('a closed port: builder not ready, with the raw tail kept', () => {
    const failure = classifyBuildFailure(fixture('nix-build-2.8-connection-refused.stderr'), confDir);
    expect(failure.cause).toBe('builder-not-ready');
    expect(failure.message).toMatch(/^Builder not ready/);
    expect(failure.stderrTail.join('\n')).toContain('Connection refused');
  });
  it('a builder offering aarch64-linux for an x86_64-linux build: system mismatch, naming both', () => {
    const failure = classifyBuildFailure(fixture('nix-build-2.8-system-mismatch.stderr'), confDir);
    expect(failure.cause).toBe('system-mismatch');
    expect(failure.message).toContain("needs a 'x86_64-linux' machine");
    expect(failure.message).toContain('aarch64-linux');
  });
  it('a pinned key the guest does not have: host key mismatch', () => {
    const failure = classifyBuildFailure(fixture('nix-build-2.8-host-key-mismatch.stderr'), confDir);
    expect(failure.cause).toBe('host-key-mismatch');
    expect(failure.message).toMatch(/^Host key mismatch/);
  });
});

describe('classifyBuildFailure when Nix knows no builder at all', () => {
  const stderr = "error: unable to start any build; either increase '--max-jobs' or enable remote builds.\n";
  it('blames trust when the user is not trusted', () => {
    expect(classifyBuildFailure(stderr, { trusted: false, systemTarget: true }).cause).toBe('user-not-trusted');
  });
  it('blames the daemon when the system target was applied and the user is trusted', () => {
    expect(classifyBuildFailure(stderr, { trusted: true, systemTarget: true }).cause).toBe('daemon-not-restarted');
  });
  it('says it does not know otherwise, and keeps the tail', () => {
    const failure = classifyBuildFailure('error: something else\n', confDir);
    expect(failure.cause).toBe('unknown');
    expect(failure.stderrTail).toEqual(['error: something else']);
  });
});

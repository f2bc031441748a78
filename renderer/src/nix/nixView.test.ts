import { describe, expect, it } from 'vitest';
import { canApply, confDirError, defaultConfDir, detectionFacts, verifyHeadline, type NixDetection, type WiringPlanView } from './nixView.js';

const detection: NixDetection = {
  found: true, binary: '/usr/bin/nix', version: '2.18.1', mode: 'daemon', user: 'ana', trustedUsers: ['root'], trusted: false,
  determinate: false, builders: '', machines: [], otherBuilders: 1,
  problems: [
    { code: 'user-not-trusted', message: 'not trusted', fix: 'add ana', blocking: false },
    { code: 'other-builder', message: 'ssh://old', fix: 'kept', blocking: false },
  ],
};
const plan: WiringPlanView = {
  target: { kind: 'confDir', dir: '/c' }, targetDescription: 'the config directory /c', files: [], problems: [], environment: [],
  changes: true, needsAdmin: false, summary: '5 file(s)', nixDarwinConfig: null,
};

describe('the Nix panel words', () => {
  it('lists version, mode, trust and other builders', () => {
    expect(detectionFacts(detection)).toEqual([
      { label: 'Nix', value: '2.18.1' },
      { label: 'Mode', value: 'daemon (multi-user)' },
      { label: 'Trusted', value: 'no: ana is not in trusted-users' },
      { label: 'Other builders', value: '1' },
    ]);
    expect(detectionFacts({ ...detection, found: false })).toEqual([{ label: 'Nix', value: 'not found' }]);
    // A builders line of thousands of entries: the problems name five and count the rest, the fact counts them all.
    expect(detectionFacts({ ...detection, otherBuilders: 3_000 }).at(-1)).toEqual({ label: 'Other builders', value: '3,000' });
  });

  it('enables Apply only for a changing plan without problems and without a blocking Nix problem', () => {
    expect(canApply(plan, detection)).toBe(true);
    expect(canApply(null, detection)).toBe(false);
    expect(canApply({ ...plan, changes: false }, detection)).toBe(false);
    expect(canApply({ ...plan, problems: [{ path: '/c/nix.conf', message: 'bad line', lineNumber: 2 }] }, detection)).toBe(false);
    expect(canApply({ ...plan, needsAdmin: true }, detection)).toBe(false);
    expect(canApply(plan, { ...detection, problems: [{ code: 'nix-missing', message: 'no nix', fix: 'install', blocking: true }] })).toBe(false);
  });

  it('says where verify built, or why it failed', () => {
    expect(verifyHeadline({ ok: true, outPath: '/nix/store/x', guestKernel: 'Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) #1 SMP', guestHostname: 'builder-bar', hostHostname: 'laptop', seconds: 4.2, message: '' }))
      .toBe('Built on builder-bar: Linux version 6.1.0-28-amd64 (4.2 s), not on laptop.');
    expect(verifyHeadline({ ok: false, seconds: 1, failure: { cause: 'host-key-mismatch', message: 'Host key mismatch: …', fix: 'apply again', stderrTail: [] } }))
      .toBe('Host key mismatch: …');
  });

  it('checks the conf dir with the contract\'s own rule', () => {
    expect(confDirError('/home/ana/nix-conf')).toBeNull();
    expect(confDirError('')).toBeNull();
    expect(confDirError('nix-conf')).toMatch(/absolute/);
    expect(confDirError('/my dir')).toMatch(/no spaces/);
  });

  it('defaults to the system target on a Mac and to a directory in the state dir elsewhere', () => {
    expect(defaultConfDir('darwin arm64', '/Users/ana/Library/Application Support/Builder Bar')).toBe('');
    expect(defaultConfDir('linux x64', '/home/ana/.local/state/builder-bar/')).toBe('/home/ana/.local/state/builder-bar/nix-conf');
  });
});

import { describe, expect, it } from 'vitest';
import { fakeInstallation, fixedNix } from '../nix/testing/fakeNix.js';
import { versionsReport } from './versionsReport.js';

describe('versions.txt', () => {
  it('names the Nix Builder Bar runs, with its directory and why that one', async () => {
    const report = await versionsReport('linux', fixedNix(fakeInstallation('/opt/nix-2.34/bin', '2.34.8')));
    expect(report).toMatch(/^Nix: Nix 2\.34\.8 in \/opt\/nix-2\.34\/bin \(the nixBinDir setting\)$/m);
  });

  it('says why there is none, without failing the bundle', async () => {
    const report = await versionsReport('linux', fixedNix({ found: false, reason: 'The nixBinDir setting names /gone, which does not exist.', hint: 'Set it again.' }));
    expect(report).toMatch(/^Nix: unavailable \(The nixBinDir setting names \/gone, which does not exist\.\)$/m);
    expect(report).toMatch(/^Builder Bar: /m);
  });
});

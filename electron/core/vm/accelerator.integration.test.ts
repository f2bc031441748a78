// The real probe on this machine, with real QEMU. The probe guest itself is proven under TCG on
// both architectures the builder runs (a wrong byte in it would send every machine to TCG
// without a word); then the real choice, whatever it is, comes back bounded and, when it is
// tcg, says why. On the project's Linux machines kvm aborts or runs no guest code, so this
// also proves a broken kvm is detected rather than assumed.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseAcceleratorWith, probeFailure, runProbeGuest, systemProbeHost } from './accelerator.js';
import { findOnPath } from './guest-image/hostTools.js';

const PROBE_TIMEOUT_MS = 20_000;

describe('accelerator probe (real QEMU)', () => {
  it.each([
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['qemu-system-aarch64', 'qemu-system-arm'],
  ])('the probe guest reaches 64-bit mode under tcg with %s', async (binary, pkg) => {
    const qemu = await findOnPath(binary);
    expect(qemu, `${binary} not found: on Debian run apt-get install ${pkg}`).not.toBeNull();
    const result = await runProbeGuest(systemProbeHost, 'tcg', qemu ?? '', PROBE_TIMEOUT_MS);
    expect(probeFailure('tcg', result, PROBE_TIMEOUT_MS), result.stderr).toBeNull();
    expect(result.timedOut).toBe(false);
  });

  it('chooses, and explains a fallback', async () => {
    const qemu = await findOnPath('qemu-system-x86_64');
    expect(qemu, 'qemu-system-x86_64 not found: on Debian run apt-get install qemu-system-x86').not.toBeNull();
    const choice = await chooseAcceleratorWith(systemProbeHost, { candidates: ['kvm'], qemuBinary: qemu ?? '', timeoutMs: 5000 });
    console.log(`accelerator: ${choice.name} (${choice.reason})`);
    if (!existsSync('/dev/kvm')) expect(choice.name).toBe('tcg');
    if (choice.name === 'tcg') expect(choice.reason).toMatch(/; using TCG \(slow\)$/);
    else expect(choice).toEqual({ name: 'kvm', reason: 'kvm probe succeeded' });
  });

  it('reports a missing QEMU binary instead of throwing', async () => {
    const choice = await chooseAcceleratorWith(
      { ...systemProbeHost, canReadWrite: async () => true },
      { candidates: ['kvm'], qemuBinary: '/nonexistent/qemu-system-x86_64', timeoutMs: 5000 },
    );
    expect(choice.name).toBe('tcg');
    expect(choice.reason).toMatch(/^could not run QEMU to probe kvm: .*ENOENT/);
  });
});

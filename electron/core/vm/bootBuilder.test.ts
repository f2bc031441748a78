/**
 * The one place that finds the profile's QEMU and, when it is missing, says what to install.
 * The rest of a boot (prepare, spawn) runs against the real guest in the integration tests.
 */
import { describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { findQemu } from './bootBuilder.js';
import { inertProfile } from './testing/inertProfile.js';

async function refusal(qemuBinaryName: string, platform: NodeJS.Platform): Promise<BuilderBarError> {
  const error = await findQemu(inertProfile({ qemuBinaryName }), platform).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(BuilderBarError);
  return error as BuilderBarError;
}

describe('finding QEMU', () => {
  it("answers with the program's path when it is on PATH", async () => {
    await expect(findQemu(inertProfile({ qemuBinaryName: 'sh' }), 'linux')).resolves.toMatch(/\/sh$/);
  });

  it('names the missing program and the package that brings it, for the host it runs on', async () => {
    // PATH is emptied so the test means the same on a machine that has QEMU.
    const path = process.env.PATH;
    process.env.PATH = '';
    try {
      const x86 = await refusal('qemu-system-x86_64', 'linux');
      expect(x86.code).toBe('vm-failed');
      expect(x86.message).toBe('qemu-system-x86_64 was not found on PATH.');
      expect(x86.hint).toBe('Install QEMU, then start again. On Debian run: apt-get install qemu-system-x86');
      expect((await refusal('qemu-system-aarch64', 'linux')).hint).toBe('Install QEMU, then start again. On Debian run: apt-get install qemu-system-arm');
      expect((await refusal('qemu-system-aarch64', 'darwin')).hint).toBe('Install QEMU, then start again. On macOS run: brew install qemu');
      expect((await refusal('qemu-system-riscv64', 'linux')).hint).toBe('Install QEMU, then start again.');
    } finally {
      process.env.PATH = path;
    }
  });
});

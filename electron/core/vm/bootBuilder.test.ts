/**
 * The one place that finds the profile's QEMU and, when it is missing, says what to install, and
 * the line every start writes about its launch. The rest of a boot (prepare, spawn) runs against
 * the real guest in the integration tests.
 */
import { describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { findQemu, launchLine } from './bootBuilder.js';
import { linuxTestLaunchPlan } from './profiles/linuxTest.js';
import { inertProfile } from './testing/inertProfile.js';
import { environmentTools } from '../host/toolSearchPath.js';

// Nothing on the search path: the test means the same on a machine that has QEMU.
const nowhere = environmentTools({ PATH: '' }, []);

async function refusal(qemuBinaryName: string, platform: NodeJS.Platform): Promise<BuilderBarError> {
  const error = await findQemu(inertProfile({ qemuBinaryName }), platform, nowhere).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(BuilderBarError);
  return error as BuilderBarError;
}

describe('finding QEMU', () => {
  it("answers with the program's path when it is on PATH", async () => {
    await expect(findQemu(inertProfile({ qemuBinaryName: 'sh' }), 'linux', environmentTools())).resolves.toMatch(/\/sh$/);
  });

  it('names the missing program and the package that brings it, for the host it runs on', async () => {
    {
      const x86 = await refusal('qemu-system-x86_64', 'linux');
      expect(x86.code).toBe('vm-failed');
      expect(x86.message).toBe("qemu-system-x86_64 was not found on PATH, the login shell's PATH or in Nix's profile directories.");
      expect(x86.hint).toBe('Install QEMU, then start again. On Debian run: apt-get install qemu-system-x86');
      expect((await refusal('qemu-system-aarch64', 'linux')).hint).toBe('Install QEMU, then start again. On Debian run: apt-get install qemu-system-arm');
      expect((await refusal('qemu-system-aarch64', 'darwin')).hint).toBe('Install QEMU, then start again. On macOS run: brew install qemu');
      expect((await refusal('qemu-system-riscv64', 'linux')).hint).toBe('Install QEMU, then start again.');
    }
  });
});

describe('the launch in the app log', () => {
  it('is one line with the run script and every variable of its environment, quoted as a shell reads them back', () => {
    const vmDir = "/home/jo/Builder Bar, jo's/vm";
    const plan = linuxTestLaunchPlan({
      qemuBinary: '/usr/bin/qemu-system-x86_64',
      accelerator: 'tcg',
      cpus: 2,
      memoryMiB: 1024,
      hostPort: 31022,
      files: { vmDir, qmpSocket: `${vmDir}/qmp.sock`, consoleLog: `${vmDir}/console.log`, qemuLog: `${vmDir}/qemu.log`, pidFile: `${vmDir}/qemu.pid`, diskImage: `${vmDir}/disk.qcow2` },
      prepared: { kernel: null, initrd: null, extra: { runScript: '/var/cache/images/abc/run-linux-test-vm', keysDir: '/nix/store/0000000000000000000000000000000b-keys' } },
      bootMarker: 'builder-bar-boot-0123456789abcdef',
    });
    const line = launchLine(plan);
    expect(line).not.toContain('\n');
    expect(line.startsWith(`Launching QEMU in '/home/jo/Builder Bar, jo'\\''s/vm': NIX_DISK_IMAGE='/home/jo/Builder Bar, jo'\\''s/vm/disk.qcow2' `)).toBe(true);
    expect(line).toContain(' KEYS=/nix/store/0000000000000000000000000000000b-keys ');
    expect(line).toContain(" QEMU_NET_OPTS=hostfwd=tcp:127.0.0.1:31022-:22 ");
    expect(line).toContain(" QEMU_KERNEL_PARAMS='panic=-1 builder_bar.boot_marker=builder-bar-boot-0123456789abcdef' ");
    expect(line).toMatch(/ QEMU_OPTS='-machine accel=tcg -smp 2 -m 1024 [^']*' /);
    expect(line).toContain(" TMPDIR='/home/jo/Builder Bar, jo'\\''s/vm' USE_TMPDIR=1 ");
    expect(line.endsWith(' /var/cache/images/abc/run-linux-test-vm')).toBe(true);
  });
});

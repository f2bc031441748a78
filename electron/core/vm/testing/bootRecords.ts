/** A boot record as a core writes it for a linux-test boot, for tests that leave one behind. */
import type { BootRecord } from '../vmFiles.js';

export function testBootRecord(pid: number, overrides: Partial<BootRecord> = {}): BootRecord {
  return {
    pid,
    profile: 'linux-test',
    qemuBinary: '/usr/bin/qemu-system-x86_64',
    bootMarker: 'builder-bar-boot-0123456789',
    sshPort: 31022,
    accelerator: { name: 'tcg', reason: 'test' },
    startedAt: 0,
    ...overrides,
  };
}

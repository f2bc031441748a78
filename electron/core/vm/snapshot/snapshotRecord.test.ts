import { describe, expect, it } from 'vitest';
import { parseSnapshotRecord, snapshotMismatch, type SnapshotKeys } from './snapshotRecord.js';

const keys: SnapshotKeys = { profile: 'linux-test', image: 'h1', qemu: '/usr/bin/qemu 10 20', accelerator: 'tcg', cpus: 2, memoryMiB: 2048, diskBytes: 100, hostKey: 'SHA256:a', hostArch: 'darwin-arm64' };

describe('snapshot keys', () => {
  it('equal keys fit', () => {
    expect(snapshotMismatch(keys, { ...keys })).toBeNull();
  });

  it('names every key that changed, quoting settings and only naming hashes and paths', () => {
    expect(snapshotMismatch(keys, { ...keys, cpus: 4, profile: 'darwin-linux-builder', image: 'h2', hostKey: 'SHA256:b' })).toBe(
      'the profile changed from linux-test to darwin-linux-builder, the guest image changed, the CPU count changed from 2 to 4, the guest host key changed',
    );
    expect(snapshotMismatch(keys, { ...keys, accelerator: 'hvf', diskBytes: 200, hostArch: 'darwin-x64' })).toBe(
      'the accelerator changed from tcg to hvf, the /nix disk size changed from 100 to 200, the host\'s architecture changed',
    );
  });
});

describe('the record file', () => {
  const record = { format: 1, keys, qemuVersion: '7.2.22', sizeBytes: 5, sha256: 'a'.repeat(64), savedAt: 1 };

  it('reads a whole record', () => {
    expect(parseSnapshotRecord(JSON.stringify(record))).toEqual({ record });
  });

  it('refuses one cut short, of another format, or with a key missing', () => {
    expect(parseSnapshotRecord(JSON.stringify(record).slice(0, 40))).toEqual({ problem: 'its record is not JSON (cut short?)' });
    expect(parseSnapshotRecord(JSON.stringify({ ...record, format: 2 }))).toEqual({ problem: 'its record does not read as format 1 (format)' });
    const { cpus: _cpus, ...withoutCpus } = keys;
    expect(parseSnapshotRecord(JSON.stringify({ ...record, keys: withoutCpus }))).toEqual({ problem: 'its record does not read as format 1 (keys.cpus)' });
  });
});

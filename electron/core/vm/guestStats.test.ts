import { describe, expect, it } from 'vitest';
import { guestStatsCommand, parseGuestStats } from './guestStats.js';

const busyboxOutput = [
  '37.52 61.20',
  '--builder-bar--',
  '0.42 0.17 0.06 1/63 212',
  '--builder-bar--',
  'MemTotal:        1004360 kB\nMemFree:          850000 kB\nMemAvailable:     900000 kB\nBuffers:            1000 kB\nCached:            40000 kB',
  '--builder-bar--',
  'Filesystem           1K-blocks      Used Available Use% Mounted on\n/dev/vda               4062912     12288   3824528   0% /nix',
].join('\n');

describe('guest stats', () => {
  it('reads uptime, load, memory and the /nix disk from a busybox guest', () => {
    expect(parseGuestStats(busyboxOutput, 1234)).toEqual({
      uptimeSeconds: 37.52,
      load: [0.42, 0.17, 0.06],
      memory: { totalBytes: 1004360 * 1024, usedBytes: (1004360 - 900000) * 1024 },
      disk: { totalBytes: 4062912 * 1024, usedBytes: 12288 * 1024, mount: '/nix' },
      sampledAt: 1234,
      clockOffsetMs: null,
    });
  });

  it('takes the guest clock\'s offset from the last section, against the host\'s readings around the command', () => {
    const output = `${busyboxOutput}\n--builder-bar-clock--\n1000.%N\n    status: 8256 (UNSYNC)\n    time.tv_sec:  1000\n    time.tv_usec: 250000000\n`;
    expect(parseGuestStats(output, 5, { beforeMs: 1_002_000, afterMs: 1_002_500 }).clockOffsetMs).toBe(-2_000);
  });

  it('copes with df wrapping a long device name and a kernel without MemAvailable', () => {
    const output = busyboxOutput
      .replace('MemAvailable:     900000 kB\n', '')
      .replace('/dev/vda               4062912', '/dev/mapper/very-long-device-name\n               4062912');
    const stats = parseGuestStats(output, 0);
    expect(stats.memory.usedBytes).toBe((1004360 - 850000 - 1000 - 40000) * 1024);
    expect(stats.disk).toEqual({ totalBytes: 4062912 * 1024, usedBytes: 12288 * 1024, mount: '/nix' });
  });

  it('refuses output it does not understand instead of showing zeros', () => {
    expect(() => parseGuestStats('garbage', 0)).toThrow(/4 sections/);
    expect(() => parseGuestStats(busyboxOutput.replace('MemTotal', 'Nope'), 0)).toThrow(/MemTotal/);
  });

  it.runIf(process.platform === 'linux')('parses what this Linux machine answers to the same command', async () => {
    const { execa } = await import('execa');
    const beforeMs = Date.now();
    const result = await execa('sh', ['-c', guestStatsCommand]);
    const afterMs = Date.now();
    const stats = parseGuestStats(result.stdout, 1, { beforeMs, afterMs });
    expect(Math.abs(stats.clockOffsetMs ?? Infinity)).toBeLessThan(1_000);
    expect(stats.uptimeSeconds).toBeGreaterThan(0);
    expect(stats.memory.totalBytes).toBeGreaterThan(stats.memory.usedBytes);
    expect(stats.disk.totalBytes).toBeGreaterThan(0);
  });
});

/**
 * The guest's vital signs, read with one command every few seconds while the builder is ready:
 * uptime, load, memory and the disk holding /nix. The command uses only files and applets a
 * busybox guest has, and reads files with the shell's own `read` rather than `cat`: under an
 * emulated CPU each fork is felt by an idle builder (df and the clock still fork).
 */
import type { GuestStats } from '../../ipc/contract.js';
import { CLOCK_SEPARATOR, clockOffsetMs, guestClockCommand, parseGuestTimeMs } from './snapshot/guestClock.js';

const SEPARATOR = '--builder-bar--';

export const guestStatsCommand = [
  'read -r l < /proc/uptime; echo "$l"',
  `echo ${SEPARATOR}`,
  'read -r l < /proc/loadavg; echo "$l"',
  `echo ${SEPARATOR}`,
  'while read -r l; do echo "$l"; done < /proc/meminfo',
  `echo ${SEPARATOR}`,
  // /nix may not exist yet (or be on /): df then reports the filesystem that would hold it.
  '{ df -k /nix 2>/dev/null || df -k /; }',
  // Last, so the host's readings around the command bracket it as tightly as they can.
  guestClockCommand,
].join('; ');

/** `host`: the host's time just before and after the command ran, for the clock offset. */
export function parseGuestStats(fullOutput: string, sampledAt: number, host?: { beforeMs: number; afterMs: number }): GuestStats {
  const clockAt = fullOutput.indexOf(CLOCK_SEPARATOR);
  const output = clockAt >= 0 ? fullOutput.slice(0, clockAt) : fullOutput;
  const guestMs = clockAt >= 0 ? parseGuestTimeMs(fullOutput.slice(clockAt + CLOCK_SEPARATOR.length)) : null;
  const parts = output.split(SEPARATOR).map((part) => part.trim());
  if (parts.length !== 4) throw new Error(`guest stats: expected 4 sections, got ${parts.length}`);
  const [uptimeText, loadText, memText, dfText] = parts as [string, string, string, string];

  const uptimeSeconds = Number.parseFloat(uptimeText.split(/\s+/)[0] ?? '');
  const loadFields = loadText.split(/\s+/).slice(0, 3).map(Number.parseFloat);
  if (!Number.isFinite(uptimeSeconds)) throw new Error('guest stats: /proc/uptime did not parse');
  if (loadFields.length !== 3 || loadFields.some((value) => !Number.isFinite(value))) throw new Error('guest stats: /proc/loadavg did not parse');

  const memKiB = new Map<string, number>();
  for (const line of memText.split('\n')) {
    const match = /^(\w+):\s+(\d+)/.exec(line.trim());
    if (match?.[1] && match[2]) memKiB.set(match[1], Number(match[2]));
  }
  const total = memKiB.get('MemTotal');
  if (total === undefined) throw new Error('guest stats: /proc/meminfo has no MemTotal');
  // MemAvailable is the kernel's own estimate; older kernels lack it.
  const available = memKiB.get('MemAvailable') ?? (memKiB.get('MemFree') ?? 0) + (memKiB.get('Buffers') ?? 0) + (memKiB.get('Cached') ?? 0);

  return {
    uptimeSeconds,
    load: [loadFields[0] ?? 0, loadFields[1] ?? 0, loadFields[2] ?? 0],
    memory: { totalBytes: total * 1024, usedBytes: Math.max(0, total - available) * 1024 },
    disk: parseDf(dfText),
    sampledAt,
    clockOffsetMs: guestMs !== null && host ? clockOffsetMs(guestMs, host.beforeMs, host.afterMs) : null,
  };
}

/**
 * `df -k` output: a header, then one filesystem, which busybox and GNU may wrap onto two lines
 * when the device name is long. Columns from the right: mount, use%, available, used, total.
 */
function parseDf(text: string): GuestStats['disk'] {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const body = lines.slice(1).join(' ').split(/\s+/);
  if (body.length < 5) throw new Error('guest stats: df output did not parse');
  const mount = body[body.length - 1] ?? '/';
  const usedKiB = Number(body[body.length - 4]);
  const totalKiB = Number(body[body.length - 5]);
  if (!Number.isFinite(usedKiB) || !Number.isFinite(totalKiB)) throw new Error('guest stats: df numbers did not parse');
  return { totalBytes: totalKiB * 1024, usedBytes: usedKiB * 1024, mount };
}

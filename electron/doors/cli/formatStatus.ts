/** The builder's status as the `status` command prints it for a person (`--json` prints the object). */
import { onDemandLine } from '../../ipc/describeOnDemand.js';
import type { GuestStats, HostTools, NixInUse, Status, VmError } from '../../ipc/contract.js';
import { describeNixInUse } from '../../ipc/describeNixInUse.js';
import { describeHostToolList, describeLoginShell } from '../../ipc/describeHostTools.js';

export function formatStatus(status: Status, now: number = Date.now()): string[] {
  const lines: string[] = [];
  lines.push(`Builder: ${status.state} for ${formatDuration(now - status.since)}${detailOf(status) ? ` (${detailOf(status)})` : ''}`);
  const accelerator = status.accelerator ? `, accelerator ${status.accelerator.name} (${status.accelerator.reason})` : '';
  lines.push(`Profile: ${status.profile}${accelerator}`);
  if (status.pid !== null || status.sshPort !== null) {
    const parts: string[] = [];
    if (status.sshPort !== null) parts.push(`ssh on 127.0.0.1:${status.sshPort}`);
    if (status.pid !== null) parts.push(`QEMU pid ${status.pid}`);
    if (status.adopted) parts.push('adopted from an earlier run');
    lines.push(`VM: ${parts.join(', ')}`);
  }
  if (status.hostKey) {
    lines.push(`Host key: ${status.hostKey.fingerprint}${status.hostKey.weakness ? ` (weak: ${status.hostKey.weakness})` : ''}`);
  }
  if (status.hostKeySwitch) lines.push(`Own host key: ${status.hostKeySwitch.stage} (${status.hostKeySwitch.message})`);
  if (status.guest) lines.push(`Guest: ${formatGuest(status.guest)}`);
  const onDemand = onDemandLine(status, now);
  if (onDemand !== null) lines.push(onDemand);
  if (status.restart.attempts > 0 || status.restart.gaveUp || status.restart.nextAt !== null) {
    const next = status.restart.nextAt !== null ? `, next in ${formatDuration(Math.max(0, status.restart.nextAt - now))}` : '';
    const gaveUp = status.restart.gaveUp ? ', gave up (start it again by hand)' : '';
    lines.push(`Restarts: ${status.restart.attempts}${next}${gaveUp}`);
  }
  if (status.error) lines.push(...formatVmError(status.error));
  return lines;
}

/** The Nix the core runs: "Nix: 2.34.8 in /dir (found on PATH)", or why there is none and what to do. */
export function formatNixInUse(nix: NixInUse): string[] {
  return nix.found ? [`Nix: ${describeNixInUse(nix)}`] : [`Nix: ${describeNixInUse(nix)}`, `Hint: ${nix.hint}`];
}

/**
 * Where the programs Builder Bar runs were found: "Tools: qemu-img /opt/homebrew/bin/qemu-img
 * (login shell's PATH), git /usr/bin/git (app's PATH)", then how the login shell answered.
 */
export function formatHostTools(hostTools: HostTools): string[] {
  return [`Tools: ${describeHostToolList(hostTools).join(', ')}`, `Login shell: ${describeLoginShell(hostTools)}`];
}

/** What was wrong with settings.json when the core started, one "Settings:" line each. */
export function formatSettingsNotices(notices: readonly string[]): string[] {
  return notices.map((notice) => `Settings: ${notice}`);
}

/** The supervisor's words for what it is doing, unless they only repeat the state. */
export function detailOf(status: Status): string {
  return status.detail.trim().toLowerCase() === status.state ? '' : status.detail;
}

export function formatVmError(error: VmError): string[] {
  const lines = [`Error: ${error.message}`];
  const exit = [error.exitCode !== null ? `exit code ${error.exitCode}` : null, error.signal ? `signal ${error.signal}` : null].filter(Boolean);
  if (exit.length > 0) lines.push(`  (${exit.join(', ')})`);
  if (error.hint) lines.push(`Hint: ${error.hint}`);
  if (error.consoleTail.length > 0) {
    lines.push('Last console lines:');
    for (const line of error.consoleTail) lines.push(`  ${line}`);
  }
  return lines;
}

function formatGuest(guest: GuestStats): string {
  const load = guest.load.map((value) => value.toFixed(2)).join(' ');
  return [
    `up ${formatDuration(guest.uptimeSeconds * 1000)}`,
    `load ${load}`,
    `memory ${formatBytes(guest.memory.usedBytes)} of ${formatBytes(guest.memory.totalBytes)}`,
    `disk ${formatBytes(guest.disk.usedBytes)} of ${formatBytes(guest.disk.totalBytes)} on ${guest.disk.mount}`,
  ].join(', ');
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

import { describe, expect, it } from 'vitest';
import type { Status } from '../../ipc/contract.js';
import { stoppedStatus } from '../testing/transportCore.js';
import { formatBytes, formatDuration, formatHostTools, formatStatus } from './formatStatus.js';

describe('status for a person', () => {
  const now = 1_700_000_100_000;

  it('shows a ready builder with its port, accelerator, key and guest resources', () => {
    const ready: Status = {
      ...stoppedStatus,
      state: 'ready',
      detail: 'ready',
      since: now - 90_000,
      accelerator: { name: 'tcg', reason: 'kvm probe timed out after 5 s' },
      pid: 4242,
      sshPort: 31022,
      adopted: true,
      hostKey: { fingerprint: 'SHA256:abc', publicKey: 'ssh-ed25519 AAAA', weakness: null },
      guest: {
        uptimeSeconds: 3700,
        load: [0.5, 0.25, 0],
        memory: { totalBytes: 1024 ** 3, usedBytes: 256 * 1024 ** 2 },
        disk: { totalBytes: 4 * 1024 ** 3, usedBytes: 1.5 * 1024 ** 3, mount: '/nix' },
        sampledAt: now,
      },
    };
    expect(formatStatus(ready, now)).toEqual([
      'Builder: ready for 1 min 30 s',
      'Profile: linux-test, accelerator tcg (kvm probe timed out after 5 s)',
      'VM: ssh on 127.0.0.1:31022, QEMU pid 4242, adopted from an earlier run',
      'Host key: SHA256:abc',
      'Guest: up 1 h 1 min, load 0.50 0.25 0.00, memory 256.0 MiB of 1.0 GiB, disk 1.5 GiB of 4.0 GiB on /nix',
    ]);
  });

  it('shows an error with its hint, exit code, console tail and restart plan', () => {
    const failed: Status = {
      ...stoppedStatus,
      state: 'error',
      detail: 'waiting to restart',
      since: now,
      restart: { attempts: 2, nextAt: now + 4000, gaveUp: false },
      error: { message: 'QEMU exited', hint: 'Check the qemu log.', exitCode: 1, signal: null, consoleTail: ['line one', 'line two'], at: now },
    };
    expect(formatStatus(failed, now)).toEqual([
      'Builder: error for 0 s (waiting to restart)',
      'Profile: linux-test',
      'Restarts: 2, next in 4 s',
      'Error: QEMU exited',
      '  (exit code 1)',
      'Hint: Check the qemu log.',
      'Last console lines:',
      '  line one',
      '  line two',
    ]);
  });

  it('formats sizes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
    expect(formatDuration(3 * 86_400_000)).toBe('3 days');
  });

  it('says where each program was found and how the login shell answered', () => {
    expect(formatHostTools({
      loginShell: { ok: true, shell: '/bin/zsh', ms: 180 },
      tools: [
        { name: 'qemu-img', path: '/opt/homebrew/bin/qemu-img', origin: 'login-shell' },
        { name: 'git', path: '/usr/bin/git', origin: 'app-environment' },
        { name: 'ssh', path: null, origin: null },
      ],
    })).toEqual([
      "Tools: qemu-img /opt/homebrew/bin/qemu-img (login shell's PATH), git /usr/bin/git (app's PATH), ssh not found",
      "Login shell: /bin/zsh (its PATH is searched after the app's)",
    ]);
    expect(formatHostTools({ loginShell: { ok: false, shell: '/bin/zsh', why: '/bin/zsh -ilc did not print its environment within 5.0 s (ended it)' }, tools: [] })[1])
      .toBe('Login shell: not used (/bin/zsh -ilc did not print its environment within 5.0 s (ended it))');
  });
});

describe('status on demand', () => {
  const now = 1_700_000_100_000;

  it('says a stopped builder waits for a build, and when an idle one stops', () => {
    expect(formatStatus({ ...stoppedStatus, since: now, onDemand: { connections: 0, builds: 0, idleStopsAt: null } }, now)).toContain('On demand: stopped until a build needs it');
    const idle: Status = { ...stoppedStatus, state: 'ready', since: now, sshPort: 31022, onDemand: { connections: 0, builds: 0, idleStopsAt: now + 3 * 60_000 } };
    expect(formatStatus(idle, now)).toContain('On demand: idle, stops in 3 min');
    expect(formatStatus({ ...stoppedStatus, since: now }, now).some((line) => line.startsWith('On demand'))).toBe(false);
  });
});

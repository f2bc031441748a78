import { describe, expect, it } from 'vitest';
import {
  chooseAcceleratorWith, createAcceleratorChooser, probeArgs, probeFailure,
  type AcceleratorProbeHost, type ProbeResult, type ProbeRunOptions,
} from './accelerator.js';
import { PROBE_GUEST_64BIT, probeGuestBytes } from './probeGuest.js';

const ok = (stdout: string): ProbeResult => ({ exitCode: 0, signal: null, timedOut: false, stdout, stderr: '' });
/** A guest that reached 64-bit mode: the probe killed QEMU once it said so. */
const guestRan: ProbeResult = { exitCode: null, signal: 'SIGKILL', timedOut: false, stdout: PROBE_GUEST_64BIT, stderr: '' };
/** What this project's CI machines do: QEMU runs, reports kvm enabled, and no guest code runs. */
const guestHung: ProbeResult = { exitCode: null, signal: 'SIGKILL', timedOut: true, stdout: '', stderr: '' };

interface Call { command: string; args: string[]; options: ProbeRunOptions }

function fakeHost(options: {
  platform: NodeJS.Platform;
  devKvm?: boolean;
  qemu?: ProbeResult;
  sysctl?: ProbeResult;
}): AcceleratorProbeHost & { calls: Call[]; guests: Uint8Array[] } {
  const calls: Call[] = [];
  const guests: Uint8Array[] = [];
  return {
    calls,
    guests,
    platform: options.platform,
    canReadWrite: async (path) => path === '/dev/kvm' && options.devKvm === true,
    withGuestFile: async (bytes, use) => {
      guests.push(bytes);
      return use('/tmp/probe/probe-guest.bin');
    },
    run: async (command, args, runOptions) => {
      calls.push({ command, args, options: runOptions });
      if (command === 'sysctl') return options.sysctl ?? ok('0\n');
      return options.qemu ?? guestRan;
    },
  };
}

const kvmInput = { candidates: ['kvm' as const], qemuBinary: 'qemu-system-x86_64', timeoutMs: 5000 };

describe('chooseAccelerator', () => {
  it('uses kvm when /dev/kvm is usable and QEMU with it runs the probe guest into 64-bit mode', async () => {
    const host = fakeHost({ platform: 'linux', devKvm: true });
    expect(await chooseAcceleratorWith(host, kvmInput)).toEqual({ name: 'kvm', reason: 'kvm probe succeeded' });
    expect(host.calls[0]?.args).toEqual(probeArgs('kvm', 'qemu-system-x86_64', '/tmp/probe/probe-guest.bin'));
    expect(host.calls[0]?.options).toEqual({ until: PROBE_GUEST_64BIT, timeoutMs: 5000 });
    expect(host.guests).toEqual([probeGuestBytes('x86_64')]);
  });

  it('falls back to tcg when QEMU runs with kvm but the guest never runs (a hang is killed, not awaited)', async () => {
    const host = fakeHost({ platform: 'linux', devKvm: true, qemu: guestHung });
    expect(await chooseAcceleratorWith(host, kvmInput)).toEqual({
      name: 'tcg', reason: 'QEMU with kvm started but ran no guest code within 5 s; using TCG (slow)',
    });
  });

  it('tells a guest stuck before 64-bit mode from one that never ran', async () => {
    const host = fakeHost({ platform: 'linux', devKvm: true, qemu: { ...guestHung, stdout: 'P' } });
    expect((await chooseAcceleratorWith(host, kvmInput)).reason).toBe('QEMU with kvm ran the probe guest but not in 64-bit mode within 5 s; using TCG (slow)');
  });

  it('falls back to tcg when QEMU aborts under kvm, quoting its error', async () => {
    const host = fakeHost({
      platform: 'linux', devKvm: true,
      qemu: {
        exitCode: null, signal: 'SIGABRT', timedOut: false, stdout: '',
        stderr: 'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\nqemu-system-x86_64: kvm.c:3183: kvm_buf_set_msrs: Assertion failed.\n',
      },
    });
    const choice = await chooseAcceleratorWith(host, kvmInput);
    expect(choice.name).toBe('tcg');
    expect(choice.reason).toBe('QEMU with kvm was killed by SIGABRT (kvm.c:3183: kvm_buf_set_msrs: Assertion failed.); using TCG (slow)');
  });

  it('falls back to tcg when QEMU refuses the accelerator, quoting it', async () => {
    const host = fakeHost({
      platform: 'linux', devKvm: true,
      qemu: { exitCode: 1, signal: null, timedOut: false, stdout: '', stderr: 'qemu-system-x86_64: -machine q35,accel=kvm: failed to initialize kvm: Permission denied\n' },
    });
    expect((await chooseAcceleratorWith(host, kvmInput)).reason).toBe(
      'QEMU with kvm exited with code 1 (-machine q35,accel=kvm: failed to initialize kvm: Permission denied); using TCG (slow)',
    );
  });

  it('does not take a clean exit without the guest\'s word for success', async () => {
    expect(probeFailure('kvm', ok(''), 5000)).toBe('QEMU with kvm exited before the probe guest ran');
  });

  it('does not start QEMU when /dev/kvm is not accessible', async () => {
    const host = fakeHost({ platform: 'linux', devKvm: false });
    const choice = await chooseAcceleratorWith(host, kvmInput);
    expect(choice).toEqual({ name: 'tcg', reason: '/dev/kvm is missing or not accessible to this user; using TCG (slow)' });
    expect(host.calls).toEqual([]);
  });

  it('uses hvf on a Mac that reports hypervisor support and runs the aarch64 probe guest with it', async () => {
    const host = fakeHost({ platform: 'darwin', sysctl: ok('1\n') });
    const choice = await chooseAcceleratorWith(host, { candidates: ['hvf'], qemuBinary: '/opt/homebrew/bin/qemu-system-aarch64' });
    expect(choice).toEqual({ name: 'hvf', reason: 'hvf probe succeeded' });
    expect(host.calls.map((call) => call.command)).toEqual(['sysctl', '/opt/homebrew/bin/qemu-system-aarch64']);
    expect(host.calls[1]?.args.slice(0, 4)).toEqual(['-machine', 'virt,accel=hvf', '-cpu', 'host']);
    expect(host.guests).toEqual([probeGuestBytes('aarch64')]);
  });

  it('uses tcg on a Mac without hypervisor support, saying why', async () => {
    const host = fakeHost({ platform: 'darwin', sysctl: ok('0\n') });
    const choice = await chooseAcceleratorWith(host, { candidates: ['hvf'], qemuBinary: 'qemu-system-x86_64' });
    expect(choice.name).toBe('tcg');
    expect(choice.reason).toMatch(/kern\.hv_support is not 1/);
  });

  it('says so when there is nothing to try', async () => {
    const host = fakeHost({ platform: 'linux' });
    expect(await chooseAcceleratorWith(host, { candidates: [], qemuBinary: 'q' })).toEqual({
      name: 'tcg', reason: 'no hardware accelerator to try on this host; using TCG (slow)',
    });
  });

  it('probes once per core run and reuses the answer', async () => {
    const host = fakeHost({ platform: 'linux', devKvm: true });
    const choose = createAcceleratorChooser(host);
    await choose(kvmInput);
    await choose(kvmInput);
    expect(host.calls).toHaveLength(1);
  });
});

describe('probeFailure', () => {
  it('reports a QEMU that could not be started', () => {
    expect(probeFailure('kvm', { exitCode: null, signal: null, timedOut: false, stdout: '', stderr: 'spawn qemu ENOENT' }, 5000))
      .toBe('could not run QEMU to probe kvm: spawn qemu ENOENT');
  });
});

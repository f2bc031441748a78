import { describe, expect, it } from 'vitest';
import {
  chooseAcceleratorWith, createAcceleratorChooser, probeArgs, probeFailure,
  type AcceleratorProbeHost, type ProbeResult, type StdinStep,
} from './accelerator.js';

const WORKING_KVM_STDOUT = [
  '{"QMP": {"version": {}, "capabilities": ["oob"]}}',
  '{"return": {}}',
  '{"return": {"enabled": true, "present": true}}',
  '{"return": {"status": "running", "singlestep": false, "running": true}}',
  '{"timestamp": {}, "event": "SHUTDOWN", "data": {"guest": false, "reason": "host-qmp-quit"}}',
  '{"return": {}}',
].join('\n');

const ok = (stdout: string): ProbeResult => ({ exitCode: 0, signal: null, timedOut: false, stdout, stderr: '' });

interface Call { command: string; args: string[]; stdin: StdinStep[]; timeoutMs: number }

function fakeHost(options: {
  platform: NodeJS.Platform;
  devKvm?: boolean;
  qemu?: ProbeResult;
  sysctl?: ProbeResult;
}): AcceleratorProbeHost & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    platform: options.platform,
    canReadWrite: async (path) => path === '/dev/kvm' && options.devKvm === true,
    run: async (command, args, stdin, timeoutMs) => {
      calls.push({ command, args, stdin, timeoutMs });
      if (command === 'sysctl') return options.sysctl ?? ok('0\n');
      return options.qemu ?? ok(WORKING_KVM_STDOUT);
    },
  };
}

const kvmInput = { candidates: ['kvm' as const], qemuBinary: 'qemu-system-x86_64', timeoutMs: 5000 };

describe('chooseAccelerator', () => {
  it('uses kvm when /dev/kvm is usable and QEMU runs a machine with it', async () => {
    const host = fakeHost({ platform: 'linux', devKvm: true });
    expect(await chooseAcceleratorWith(host, kvmInput)).toEqual({ name: 'kvm', reason: 'kvm probe succeeded' });
    expect(host.calls[0]?.args).toEqual(probeArgs('kvm', 'qemu-system-x86_64'));
    expect(host.calls[0]?.timeoutMs).toBe(5000);
  });

  it('falls back to tcg with the reason when the kvm probe times out (a hang is killed, not awaited)', async () => {
    const host = fakeHost({ platform: 'linux', devKvm: true, qemu: { exitCode: null, signal: 'SIGKILL', timedOut: true, stdout: '', stderr: '' } });
    expect(await chooseAcceleratorWith(host, kvmInput)).toEqual({
      name: 'tcg', reason: 'kvm probe timed out after 5 s; using TCG (slow)',
    });
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

  it('does not start QEMU when /dev/kvm is not accessible', async () => {
    const host = fakeHost({ platform: 'linux', devKvm: false });
    const choice = await chooseAcceleratorWith(host, kvmInput);
    expect(choice).toEqual({ name: 'tcg', reason: '/dev/kvm is missing or not accessible to this user; using TCG (slow)' });
    expect(host.calls).toEqual([]);
  });

  it('refuses kvm that QEMU reports as not enabled', async () => {
    const host = fakeHost({ platform: 'linux', devKvm: true, qemu: ok(WORKING_KVM_STDOUT.replace('"enabled": true', '"enabled": false')) });
    expect((await chooseAcceleratorWith(host, kvmInput)).reason).toMatch(/^QEMU started but reports kvm is not enabled; using TCG/);
  });

  it('refuses an accelerator whose machine stopped (e.g. an internal error pauses the vCPU)', async () => {
    const host = fakeHost({ platform: 'linux', devKvm: true, qemu: ok(WORKING_KVM_STDOUT.replace('"status": "running"', '"status": "internal-error"')) });
    expect((await chooseAcceleratorWith(host, kvmInput)).reason).toMatch(/did not keep the machine running \(status internal-error\)/);
  });

  it('uses hvf on a Mac that reports hypervisor support and runs QEMU with it', async () => {
    const host = fakeHost({ platform: 'darwin', sysctl: ok('1\n'), qemu: ok(WORKING_KVM_STDOUT) });
    const choice = await chooseAcceleratorWith(host, { candidates: ['hvf'], qemuBinary: '/opt/homebrew/bin/qemu-system-aarch64' });
    expect(choice).toEqual({ name: 'hvf', reason: 'hvf probe succeeded' });
    expect(host.calls.map((call) => call.command)).toEqual(['sysctl', '/opt/homebrew/bin/qemu-system-aarch64']);
    expect(host.calls[1]?.args.slice(0, 2)).toEqual(['-machine', 'virt,accel=hvf']);
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

  it('asks whether the machine runs only after letting the firmware execute', () => {
    const host = fakeHost({ platform: 'linux', devKvm: true });
    return chooseAcceleratorWith(host, kvmInput).then(() => {
      const steps = host.calls[0]?.stdin ?? [];
      expect(steps[0]?.text).toContain('query-kvm');
      expect(steps[1]?.afterMs).toBeGreaterThan(0);
      expect(steps[1]?.text).toContain('query-status');
      expect(steps[1]?.text).toContain('quit');
    });
  });
});

describe('probeFailure', () => {
  it('reports a QEMU that could not be started', () => {
    expect(probeFailure('kvm', { exitCode: null, signal: null, timedOut: false, stdout: '', stderr: 'spawn qemu ENOENT' }, 5000))
      .toBe('could not run QEMU to probe kvm: spawn qemu ENOENT');
  });
});

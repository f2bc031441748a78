/**
 * Which accelerator runs the builder: kvm (Linux) or hvf (macOS) only when a probe proves it
 * works on this machine, otherwise tcg, with the reason in words for the status line. A
 * present /dev/kvm is not proof, and neither is QEMU saying so: on the project's CI machines
 * QEMU with `accel=kvm` aborts ("failed to set MSR"), or reports kvm enabled and the machine
 * running while no guest instruction past real mode ever runs (the builder's kernel hung for
 * ever). So the probe boots a guest of a few hundred bytes (`probeGuest.ts`) with the real
 * QEMU binary and the accelerator, and passes only when that guest has written, over the
 * serial port, that it runs in 64-bit mode; QEMU is killed then, or after a few seconds. The
 * choice is made once per core run (the machine does not change). A probe is not the builder:
 * kvm on those machines once ran the probe guest and then stalled the builder's kernel, so the
 * supervisor also gives an accelerated builder a deadline and falls back to TCG when it passes
 * (builderSupervisor.ts, `acceleratedReadyMs`).
 */
import { execa } from 'execa';
import { constants as fsConstants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Accelerator } from '../../ipc/contract.js';
import type { AcceleratorName } from './profile.js';
import { PROBE_GUEST_64BIT, PROBE_GUEST_RUNS, probeGuestArch, probeGuestBytes } from './probeGuest.js';
import { cpuModel } from './profiles/qemuArgs.js';

export type AcceleratorChoice = Accelerator;

export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

export interface ProbeResult {
  exitCode: number | null;
  /** Set when QEMU died of a signal (e.g. SIGABRT from a failed assertion). */
  signal: string | null;
  timedOut: boolean;
  /** What the probe guest wrote to its serial port (QEMU's stdout). */
  stdout: string;
  stderr: string;
}

export interface ProbeRunOptions {
  /** Stop the program (SIGKILL) as soon as its stdout contains this. */
  until?: string;
  /** Kill it (SIGKILL) after this long at most. */
  timeoutMs: number;
}

export interface AcceleratorProbeHost {
  platform: NodeJS.Platform;
  /** Can this user open the path read-write (e.g. /dev/kvm)? */
  canReadWrite(path: string): Promise<boolean>;
  /** Writes the probe guest to a file of this user's, for the length of `use`. */
  withGuestFile<T>(bytes: Uint8Array, use: (file: string) => Promise<T>): Promise<T>;
  /** Runs a program with stdin closed until it prints `until`, exits, or runs out of time. */
  run(command: string, args: string[], options: ProbeRunOptions): Promise<ProbeResult>;
}

export interface ChooseAcceleratorInput {
  /** The profile's candidates, best first (tcg is always the fallback). */
  candidates: AcceleratorName[];
  /** The QEMU binary the builder runs (the probe uses the same one). */
  qemuBinary: string;
  timeoutMs?: number;
}

/** QEMU booting the probe guest: the builder's machine type and CPU model, the guest's serial on stdout. */
export function probeArgs(accelerator: AcceleratorName, qemuBinary: string, guestFile: string): string[] {
  const machine = probeGuestArch(qemuBinary) === 'aarch64' ? `virt,accel=${accelerator}` : `q35,accel=${accelerator}`;
  return [
    '-machine', machine, '-cpu', cpuModel(accelerator), '-m', '64', '-nodefaults', '-display', 'none', '-no-reboot',
    '-kernel', guestFile, '-serial', 'stdio',
  ];
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter((line) => line.trim() !== '');
  return (lines[lines.length - 1] ?? '').replace(/^qemu-system-[a-z0-9_]+: /, '').trim();
}

/** Reads a probe run; null when the accelerator ran the guest into 64-bit mode, else why not (in words). */
export function probeFailure(accelerator: AcceleratorName, result: ProbeResult, timeoutMs: number): string | null {
  // First: the guest's own word. Once it is there the probe killed QEMU, so the signal is ours.
  if (result.stdout.includes(PROBE_GUEST_64BIT)) return null;
  const seconds = Math.round(timeoutMs / 1000);
  if (result.timedOut) {
    return result.stdout.includes(PROBE_GUEST_RUNS)
      ? `QEMU with ${accelerator} ran the probe guest but not in 64-bit mode within ${seconds} s`
      : `QEMU with ${accelerator} started but ran no guest code within ${seconds} s`;
  }
  if (result.signal) {
    const detail = lastLine(result.stderr);
    return `QEMU with ${accelerator} was killed by ${result.signal}${detail ? ` (${detail})` : ''}`;
  }
  if (result.exitCode === null) return `could not run QEMU to probe ${accelerator}: ${lastLine(result.stderr) || 'unknown error'}`;
  const detail = lastLine(result.stderr);
  if (result.exitCode !== 0) return `QEMU with ${accelerator} exited with code ${result.exitCode}${detail ? ` (${detail})` : ''}`;
  return `QEMU with ${accelerator} exited before the probe guest ran${detail ? ` (${detail})` : ''}`;
}

/** Boots the probe guest once with this accelerator; exported so tests can prove the guest itself under tcg. */
export function runProbeGuest(host: AcceleratorProbeHost, accelerator: AcceleratorName, qemuBinary: string, timeoutMs: number): Promise<ProbeResult> {
  return host.withGuestFile(probeGuestBytes(probeGuestArch(qemuBinary)), (file) =>
    host.run(qemuBinary, probeArgs(accelerator, qemuBinary, file), { until: PROBE_GUEST_64BIT, timeoutMs }));
}

async function probeKvm(host: AcceleratorProbeHost, qemuBinary: string, timeoutMs: number): Promise<string | null> {
  if (host.platform !== 'linux') return 'kvm exists only on Linux';
  if (!(await host.canReadWrite('/dev/kvm'))) return '/dev/kvm is missing or not accessible to this user';
  return probeFailure('kvm', await runProbeGuest(host, 'kvm', qemuBinary, timeoutMs), timeoutMs);
}

async function probeHvf(host: AcceleratorProbeHost, qemuBinary: string, timeoutMs: number): Promise<string | null> {
  if (host.platform !== 'darwin') return 'hvf exists only on macOS';
  const sysctl = await host.run('sysctl', ['-n', 'kern.hv_support'], { timeoutMs });
  if (sysctl.exitCode !== 0 || sysctl.stdout.trim() !== '1') return 'this Mac reports no Hypervisor.framework support (kern.hv_support is not 1)';
  return probeFailure('hvf', await runProbeGuest(host, 'hvf', qemuBinary, timeoutMs), timeoutMs);
}

export async function chooseAcceleratorWith(host: AcceleratorProbeHost, input: ChooseAcceleratorInput): Promise<AcceleratorChoice> {
  const timeoutMs = input.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const reasons: string[] = [];
  for (const candidate of input.candidates) {
    if (candidate === 'tcg') break;
    const failure = candidate === 'kvm'
      ? await probeKvm(host, input.qemuBinary, timeoutMs)
      : await probeHvf(host, input.qemuBinary, timeoutMs);
    if (failure === null) return { name: candidate, reason: `${candidate} probe succeeded` };
    reasons.push(failure);
  }
  const why = reasons.length > 0 ? `${reasons.join('; ')}; ` : 'no hardware accelerator to try on this host; ';
  return { name: 'tcg', reason: `${why}using TCG (slow)` };
}

/** The real host: node fs access checks, a private temp dir, and execa with a hard timeout (QEMU gets SIGKILL). */
export const systemProbeHost: AcceleratorProbeHost = {
  platform: process.platform,
  async canReadWrite(file) {
    try {
      await fs.access(file, fsConstants.R_OK | fsConstants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  async withGuestFile(bytes, use) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'builder-bar-probe-'));
    try {
      const file = path.join(dir, 'probe-guest.bin');
      await fs.writeFile(file, bytes, { mode: 0o600 });
      return await use(file);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  },
  async run(command, args, options) {
    const child = execa(command, args, { reject: false, timeout: options.timeoutMs, killSignal: 'SIGKILL', stdin: 'ignore', buffer: true });
    const until = options.until;
    if (until !== undefined) {
      let seen = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        if (seen.includes(until)) child.kill('SIGKILL');
      });
    }
    try {
      const result = await child;
      const notStarted = result.exitCode === undefined && !result.signal && !result.timedOut;
      return {
        exitCode: result.exitCode ?? null,
        signal: result.signal ?? null,
        timedOut: result.timedOut,
        stdout: String(result.stdout ?? ''),
        // A program that never started (ENOENT) has no stderr; execa's message says why.
        stderr: notStarted ? String(result.message ?? 'could not start') : String(result.stderr ?? ''),
      };
    } catch (error) {
      // Only spawn errors land here (reject: false): e.g. the QEMU binary does not exist.
      return { exitCode: null, signal: null, timedOut: false, stdout: '', stderr: error instanceof Error ? error.message : String(error) };
    }
  },
};

/** A chooser that probes once per (binary, candidates) and remembers the answer. */
export function createAcceleratorChooser(host: AcceleratorProbeHost = systemProbeHost): (input: ChooseAcceleratorInput) => Promise<AcceleratorChoice> {
  const cache = new Map<string, Promise<AcceleratorChoice>>();
  return (input) => {
    const key = `${input.qemuBinary}\0${input.candidates.join(',')}`;
    let choice = cache.get(key);
    if (!choice) {
      choice = chooseAcceleratorWith(host, input);
      cache.set(key, choice);
    }
    return choice;
  };
}

/** The per-core-run chooser. */
export const chooseAccelerator = createAcceleratorChooser();

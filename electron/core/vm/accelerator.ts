/**
 * Which accelerator runs the builder: kvm (Linux) or hvf (macOS) only when a probe proves it
 * works on this machine, otherwise tcg, with the reason in words for the status line. A
 * present /dev/kvm is not proof: on the project's CI machines QEMU with `accel=kvm` aborts
 * ("failed to set MSR") or hangs. So the probe starts the real QEMU binary with the
 * accelerator, lets the firmware run for a moment, asks over QMP whether the accelerator is
 * enabled and the machine is running, and quits, all within a few seconds, killing QEMU if it
 * does not answer. The choice is made once per core run (the machine does not change).
 */
import { execa } from 'execa';
import { constants as fsConstants, promises as fs } from 'node:fs';
import type { Accelerator } from '../../ipc/contract.js';
import type { AcceleratorName } from './profile.js';

export type AcceleratorChoice = Accelerator;

export const DEFAULT_PROBE_TIMEOUT_MS = 5000;
/** How long the probe lets the guest firmware run before asking whether all is well. */
const PROBE_RUN_MS = 500;

export interface ProbeResult {
  exitCode: number | null;
  /** Set when QEMU died of a signal (e.g. SIGABRT from a failed assertion). */
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** Lines to write to QEMU's stdin, each after a delay; what the probe needs from a process. */
export interface StdinStep {
  afterMs: number;
  text: string;
}

export interface AcceleratorProbeHost {
  platform: NodeJS.Platform;
  /** Can this user open the path read-write (e.g. /dev/kvm)? */
  canReadWrite(path: string): Promise<boolean>;
  /** Runs a program, feeding stdin step by step, killed after timeoutMs. */
  run(command: string, args: string[], stdin: StdinStep[], timeoutMs: number): Promise<ProbeResult>;
}

export interface ChooseAcceleratorInput {
  /** The profile's candidates, best first (tcg is always the fallback). */
  candidates: AcceleratorName[];
  /** The QEMU binary the builder runs (the probe uses the same one). */
  qemuBinary: string;
  timeoutMs?: number;
}

/** The QMP conversation: capabilities, query-kvm, then after a short run, status and quit. */
export function probeStdin(): StdinStep[] {
  return [
    { afterMs: 0, text: '{"execute":"qmp_capabilities"}\n{"execute":"query-kvm"}\n' },
    { afterMs: PROBE_RUN_MS, text: '{"execute":"query-status"}\n{"execute":"quit"}\n' },
  ];
}

export function probeArgs(accelerator: 'kvm' | 'hvf', qemuBinary: string): string[] {
  // The machine the builder itself uses with this binary: q35 for x86_64, virt for aarch64.
  const machine = /aarch64/.test(qemuBinary) ? `virt,accel=${accelerator}` : `q35,accel=${accelerator}`;
  return ['-machine', machine, '-cpu', 'host', '-m', '64', '-nodefaults', '-display', 'none', '-no-reboot', '-qmp', 'stdio'];
}

interface QmpReply {
  return?: unknown;
  error?: { desc?: string };
}

function qmpReplies(stdout: string): QmpReply[] {
  const replies: QmpReply[] = [];
  for (const line of stdout.split('\n')) {
    try {
      const parsed = JSON.parse(line) as unknown;
      if (parsed && typeof parsed === 'object' && ('return' in parsed || 'error' in parsed)) replies.push(parsed as QmpReply);
    } catch {
      // not a JSON line
    }
  }
  return replies;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter((line) => line.trim() !== '');
  return (lines[lines.length - 1] ?? '').replace(/^qemu-system-[a-z0-9_]+: /, '').trim();
}

/** Reads a probe run; null when the accelerator works, else why not (in words). */
export function probeFailure(accelerator: 'kvm' | 'hvf', result: ProbeResult, timeoutMs: number): string | null {
  if (result.timedOut) return `${accelerator} probe timed out after ${Math.round(timeoutMs / 1000)} s`;
  if (result.signal) {
    const detail = lastLine(result.stderr);
    return `QEMU with ${accelerator} was killed by ${result.signal}${detail ? ` (${detail})` : ''}`;
  }
  if (result.exitCode === null) return `could not run QEMU to probe ${accelerator}: ${lastLine(result.stderr) || 'unknown error'}`;
  if (result.exitCode !== 0) {
    const detail = lastLine(result.stderr);
    return `QEMU with ${accelerator} exited with code ${result.exitCode}${detail ? ` (${detail})` : ''}`;
  }
  const replies = qmpReplies(result.stdout);
  const failed = replies.find((reply) => reply.error);
  if (failed) return `QEMU with ${accelerator} refused a QMP command: ${failed.error?.desc ?? 'unknown error'}`;
  if (accelerator === 'kvm') {
    const kvm = replies.map((reply) => reply.return).find(
      (value): value is { enabled: boolean } => typeof value === 'object' && value !== null && 'enabled' in value,
    );
    if (!kvm?.enabled) return 'QEMU started but reports kvm is not enabled';
  }
  const status = replies.map((reply) => reply.return).find(
    (value): value is { status: string } => typeof value === 'object' && value !== null && 'status' in value,
  );
  if (status?.status !== 'running') return `QEMU with ${accelerator} did not keep the machine running (status ${status?.status ?? 'unknown'})`;
  return null;
}

async function probeKvm(host: AcceleratorProbeHost, qemuBinary: string, timeoutMs: number): Promise<string | null> {
  if (host.platform !== 'linux') return 'kvm exists only on Linux';
  if (!(await host.canReadWrite('/dev/kvm'))) return '/dev/kvm is missing or not accessible to this user';
  const result = await host.run(qemuBinary, probeArgs('kvm', qemuBinary), probeStdin(), timeoutMs);
  return probeFailure('kvm', result, timeoutMs);
}

async function probeHvf(host: AcceleratorProbeHost, qemuBinary: string, timeoutMs: number): Promise<string | null> {
  if (host.platform !== 'darwin') return 'hvf exists only on macOS';
  const sysctl = await host.run('sysctl', ['-n', 'kern.hv_support'], [], timeoutMs);
  if (sysctl.exitCode !== 0 || sysctl.stdout.trim() !== '1') return 'this Mac reports no Hypervisor.framework support (kern.hv_support is not 1)';
  const result = await host.run(qemuBinary, probeArgs('hvf', qemuBinary), probeStdin(), timeoutMs);
  return probeFailure('hvf', result, timeoutMs);
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

/** The real host: node fs access checks and execa with a hard timeout (QEMU gets SIGKILL). */
export const systemProbeHost: AcceleratorProbeHost = {
  platform: process.platform,
  async canReadWrite(path) {
    try {
      await fs.access(path, fsConstants.R_OK | fsConstants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  async run(command, args, stdin, timeoutMs) {
    const child = execa(command, args, { reject: false, timeout: timeoutMs, killSignal: 'SIGKILL', stdin: 'pipe' });
    const timers: NodeJS.Timeout[] = [];
    let elapsed = 0;
    for (const step of stdin) {
      elapsed += step.afterMs;
      timers.push(setTimeout(() => child.stdin?.write(step.text), elapsed));
    }
    if (stdin.length === 0) child.stdin?.end();
    // Swallow EPIPE if QEMU died before we finished writing: its exit tells the story.
    child.stdin?.on('error', () => undefined);
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
    } finally {
      timers.forEach(clearTimeout);
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

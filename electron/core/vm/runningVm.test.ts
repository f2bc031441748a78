/**
 * The running VM without a guest: a stand-in process (a shell script, spawned the way QEMU is)
 * writes console and stderr lines and exits or keeps running, so the tail, the exit, the ways
 * to end it and the release are tested on any machine. Readiness and stats over ssh run
 * against the real guest in builderSupervisor.integration.test.ts.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLevel, LogSource } from '../../ipc/contract.js';
import { ensureInstallKeys } from './keyStore.js';
import type { VmFiles } from './profile.js';
import { isProcessAlive, signalProcess, spawnQemu } from './qemuProcess.js';
import { CONSOLE_TAIL_LINES, RunningVm } from './runningVm.js';
import { inertProfile } from './testing/inertProfile.js';
import { vmFilesIn } from './vmFiles.js';

interface Logged {
  source: LogSource;
  level: LogLevel;
  text: string;
}

const profile = inertProfile({ qemuBinaryName: 'sh' });

let dir: string;
let files: VmFiles;
let logged: Logged[];
const pids: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-vm-'));
  files = vmFilesIn(dir);
  logged = [];
});

afterEach(() => {
  for (const pid of pids.splice(0)) signalProcess(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `script` (with the console log as $1) as if it were QEMU: detached, stderr to the qemu log. */
async function runAsQemu(script: string): Promise<RunningVm> {
  appendFileSync(files.consoleLog, '');
  const qemu = await spawnQemu({ command: '/bin/sh', args: ['-c', script, 'sh', files.consoleLog], env: {}, cwd: dir }, files.qemuLog);
  pids.push(qemu.pid);
  return new RunningVm({
    process: qemu,
    profile,
    files,
    record: { pid: qemu.pid, profile: 'linux-test', qemuBinary: '/bin/sh', bootMarker: 'builder-bar-boot-test', sshPort: 1, accelerator: { name: 'tcg', reason: 'test' }, startedAt: 0 },
    keys: await ensureInstallKeys(path.join(dir, 'keys'), profile),
    portNote: null,
    fromOffsets: { console: 0, qemu: 0 },
    logs: { append: (source, level, text) => logged.push({ source, level, text }) },
  });
}

describe('a running VM', () => {
  it("keeps the last console and QEMU lines, and quotes QEMU's own last words after it died", async () => {
    const vm = await runAsQemu('i=1; while [ $i -le 40 ]; do echo "console line $i" >> "$1"; i=$((i + 1)); done; echo "qemu-system-x86_64: Failed to get write lock" >&2; exit 1');
    await expect(vm.exited).resolves.toEqual({ exitCode: 1, signal: null });
    expect(vm.exit).toEqual({ exitCode: 1, signal: null });
    expect(vm.endedOnPurpose).toBe(false);
    await expect(vm.lastQemuWords()).resolves.toBe('qemu-system-x86_64: Failed to get write lock');
    const tail = vm.consoleTail;
    expect(tail).toHaveLength(CONSOLE_TAIL_LINES);
    expect(tail).toContain('console line 40');
    expect(tail).not.toContain('console line 1');
    expect(tail).toContain('qemu: qemu-system-x86_64: Failed to get write lock');
    // Every line reaches the log hub, not only the tail.
    expect(logged.filter((line) => line.source === 'vm-console')).toHaveLength(40);
    expect(logged).toContainEqual({ source: 'qemu', level: 'warn', text: 'qemu-system-x86_64: Failed to get write lock' });
    await vm.release();
  });

  it('has no last words from QEMU when it said nothing', async () => {
    const vm = await runAsQemu('echo "only the console" >> "$1"; exit 0');
    await vm.exited;
    await expect(vm.lastQemuWords()).resolves.toBeNull();
    expect(vm.consoleTail).toEqual(['only the console']);
    await vm.release();
  });

  it('is ended on purpose: a quit nobody answers (no QMP) is followed by SIGKILL', async () => {
    const vm = await runAsQemu('exec sleep 60');
    await vm.end(200);
    expect(vm.exit).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(vm.endedOnPurpose).toBe(true);
    expect(logged.some((line) => line.level === 'warn' && line.text === `QEMU (pid ${vm.process.pid}) did not quit; sending SIGKILL.`)).toBe(true);
    // Ending a VM that is gone does nothing more.
    logged = [];
    await vm.end(200);
    expect(logged).toEqual([]);
    await vm.release();
  });

  it('says so when the guest cannot be asked to power off, and leaves the ending to end()', async () => {
    const vm = await runAsQemu('exec sleep 60');
    await vm.powerOff(10_000);
    expect(vm.exit).toBeNull();
    expect(vm.endedOnPurpose).toBe(true);
    expect(logged.map((line) => line.text)).toContain('The guest did not power off within 10 s; ending QEMU.');
    await vm.end(200);
    expect(vm.exit?.signal).toBe('SIGKILL');
    await vm.release();
  });

  it('is released once, and left running for the next core when the core goes away', async () => {
    const vm = await runAsQemu('exec sleep 60');
    expect(vm.released).toBe(false);
    expect(vm.readySession).toBeNull();
    const leaving = vm.leaveRunning();
    expect(vm.released).toBe(true);
    expect(vm.release()).toBe(leaving);
    await leaving;
    expect(isProcessAlive(vm.process.pid)).toBe(true);
    expect(vm.exit).toBeNull();
  });
});

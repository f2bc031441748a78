import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findOnPath } from './guest-image/hostTools.js';
import { identifyQemu } from './qemuOwnership.js';
import { exitsWithin, isProcessAlive, spawnQemu, watchAdoptedProcess } from './qemuProcess.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-proc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the QEMU process helpers', () => {
  it('spawns detached with stdout and stderr appended to the file, and reports the exit', async () => {
    const output = path.join(dir, 'qemu.log');
    // A stand-in for QEMU that writes to both streams and exits with a code of its own.
    const script = "process.stdout.write('to-stdout\\n'); process.stderr.write('to-stderr\\n'); process.exitCode = 3;";
    const child = await spawnQemu({ command: process.execPath, args: ['-e', script], env: {}, cwd: dir }, output);
    await expect(child.exited).resolves.toEqual({ exitCode: 3, signal: null });
    expect(readFileSync(output, 'utf8')).toBe('to-stdout\nto-stderr\n');
  });

  it('reports a kill by signal, and tells a running program from QEMU by its executable', async () => {
    const sleep = (await findOnPath('sleep')) ?? '/bin/sleep';
    const child = await spawnQemu({ command: sleep, args: ['30'], env: {}, cwd: dir }, path.join(dir, 'out.log'));
    expect(isProcessAlive(child.pid)).toBe(true);
    expect(await identifyQemu({ pid: child.pid, qemuBinaryName: 'qemu-system-x86_64', vmDir: dir })).toEqual({ kind: 'not-qemu' });
    expect(await identifyQemu({ pid: child.pid, qemuBinaryName: path.basename(sleep), vmDir: dir })).toEqual({ kind: 'ours' });
    process.kill(child.pid, 'SIGKILL');
    await expect(child.exited).resolves.toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(isProcessAlive(child.pid)).toBe(false);
  });

  it('notices the end of a process it did not spawn by polling its pid', async () => {
    const sleep = (await findOnPath('sleep')) ?? '/bin/sleep';
    const child = await spawnQemu({ command: sleep, args: ['30'], env: {}, cwd: dir }, path.join(dir, 'out.log'));
    const watch = watchAdoptedProcess(child.pid, 50);
    expect(await exitsWithin(watch.exited, 200)).toBe(false);
    process.kill(child.pid, 'SIGKILL');
    await child.exited; // reaped by this process, so the pid is really gone
    expect(await exitsWithin(watch.exited, 2_000)).toBe(true);
  });

  it('finds programs on PATH and not missing ones', async () => {
    expect(await findOnPath('sh')).toMatch(/\/sh$/);
    expect(await findOnPath('builder-bar-no-such-program')).toBeNull();
  });
});

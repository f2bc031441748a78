/**
 * Adoption against pid files that name a QEMU which is not this state dir's: after a reboot a
 * stale pid can be Lima's, UTM's or another Builder Bar's `qemu-system-*`. Such a process is
 * never signalled; only this state dir's stale files go. A `sleep` stands in for QEMU (the
 * profile's QEMU name is set to its executable's), so no guest is booted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statePaths, type StatePaths } from '../paths.js';
import { adoptBuilder } from './adoptBuilder.js';
import { executableOf, isProcessAlive } from './qemuProcess.js';
import { inertProfile } from './testing/inertProfile.js';
import { vmFilesIn, writeBootRecord } from './vmFiles.js';
import { testBootRecord } from './testing/bootRecords.js';

let root: string;
let paths: StatePaths;
let logged: string[];
const children: ChildProcess[] = [];

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-adopt-'));
  paths = statePaths({ stateDir: path.join(root, 'state') });
  mkdirSync(paths.vmDir, { recursive: true });
  logged = [];
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** A long-running stand-in for QEMU, started in `cwd`, and the name its executable goes by. */
async function standInQemu(cwd: string): Promise<{ pid: number; binaryName: string }> {
  mkdirSync(cwd, { recursive: true });
  const child = spawn('sleep', ['60'], { cwd, stdio: 'ignore' });
  children.push(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error('sleep did not start');
  const executable = await executableOf(pid);
  if (executable === null) throw new Error('cannot read the stand-in executable');
  return { pid, binaryName: path.basename(executable) };
}

async function leaveRecordNaming(pid: number): Promise<void> {
  // A record that matches its pid file, as an earlier core writes them; no QMP socket answers.
  await writeBootRecord(vmFilesIn(paths.vmDir), testBootRecord(pid));
}

async function adopt(binaryName: string): Promise<Awaited<ReturnType<typeof adoptBuilder>>> {
  return adoptBuilder({
    paths,
    files: vmFilesIn(paths.vmDir),
    platform: process.platform,
    logs: { append: (_source, _level, text) => logged.push(text) },
    resolveProfile: () => inertProfile({ qemuBinaryName: binaryName }),
    settingsProfile: 'linux-test',
    forceStopMs: 500,
  });
}

describe('adopting what an earlier core left', () => {
  it("never signals a QEMU that runs outside this state dir's VM dir, and drops the stale files", async () => {
    const other = await standInQemu(path.join(root, 'someone-elses-vm'));
    await leaveRecordNaming(other.pid);
    expect(await adopt(other.binaryName)).toBeNull();
    // Give a SIGTERM, had one been sent, time to land.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isProcessAlive(other.pid)).toBe(true);
    const files = vmFilesIn(paths.vmDir);
    expect(existsSync(files.pidFile)).toBe(false);
    expect(logged.some((text) => text.includes(`pid ${other.pid}`) && /not this state dir's builder/.test(text) && text.includes('someone-elses-vm'))).toBe(true);
    expect(logged.some((text) => /^Ending QEMU/.test(text))).toBe(false);
  });

  it('still ends a QEMU running in its own VM dir that it cannot check (it would hold the port)', async () => {
    const ours = await standInQemu(paths.vmDir);
    await leaveRecordNaming(ours.pid);
    expect(await adopt(ours.binaryName)).toBeNull();
    const deadline = Date.now() + 3_000;
    while (isProcessAlive(ours.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    // The child is ours to reap: a zombie still answers kill(pid, 0).
    expect(children[0]?.signalCode ?? (await new Promise((resolve) => children[0]?.once('exit', (_code, signal) => resolve(signal))))).toBe('SIGTERM');
    expect(logged.some((text) => /^Ending QEMU pid \d+ left by an earlier core: it has no control socket/.test(text))).toBe(true);
  });

  it("never talks to another QEMU's control socket through a link where its own should be", async () => {
    const ours = await standInQemu(paths.vmDir);
    await leaveRecordNaming(ours.pid);
    // Another QEMU's QMP, answering as QEMU does; this state dir's qmp.sock is a link to it.
    const otherDir = path.join(root, 'other-qemu');
    mkdirSync(otherDir);
    const heard: string[] = [];
    const other = net.createServer((socket) => {
      socket.write(`${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 } }, capabilities: [] } })}\r\n`);
      socket.on('data', (chunk) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          const { execute, id } = JSON.parse(line) as { execute: string; id?: unknown };
          heard.push(execute);
          const answer = execute === 'query-status' ? { status: 'running', singlestep: false, running: true } : {};
          socket.write(`${JSON.stringify({ return: answer, id })}\r\n`);
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => other.listen(path.join(otherDir, 'qmp.sock'), () => resolve()));
    try {
      symlinkSync(path.join(otherDir, 'qmp.sock'), vmFilesIn(paths.vmDir).qmpSocket);
      const adopted = await adopt(ours.binaryName);
      await adopted?.release();
      expect(adopted).toBeNull();
      expect(heard).toEqual([]);
      expect(logged.some((text) => /^Ending QEMU pid \d+ left by an earlier core: it has a control socket that is a symbolic link/.test(text))).toBe(true);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });
});

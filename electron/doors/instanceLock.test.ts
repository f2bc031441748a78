import { spawn, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import { constants, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, readdirSync, mkdirSync, symlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InstanceLock, processStartOf } from './instanceLock.js';

const nobodyAnswers = async (): Promise<boolean> => false;
/** Something accepts on the socket without answering: a core that is stuck (or stopped with Ctrl-Z). */
const somethingListens = async (): Promise<boolean> => true;

function startIdleProcess(command: string, args: string[]): ChildProcess {
  return spawn(command, args, { stdio: 'ignore' });
}

async function pidOfExitedProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

describe('the one-core-per-state-dir lock', () => {
  let dir: string;
  let lockFile: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bb-lock-'));
    lockFile = path.join(dir, 'core.lock');
  });
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('is taken when free, holds our pid with mode 0600, and is removed on release', async () => {
    const result = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers });
    expect(result.acquired).toBe(true);
    const content = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number };
    expect(content.pid).toBe(process.pid);
    expect(statSync(lockFile).mode & 0o777).toBe(0o600);
    if (result.acquired) await result.lock.release();
    expect(existsSync(lockFile)).toBe(false);
    // No temp files are left behind.
    expect(readdirSync(dir)).toEqual([]);
  });

  // An older lock records no start, so its live pid proves nothing (any node process matches
  // its executable): the socket decides. A stuck core still holds its socket open.
  it('with no recorded start, is refused while something listens on the socket, naming that pid, and taken over when nothing does', async () => {
    const holder = startIdleProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    children.push(holder);
    await new Promise((resolve) => holder.once('spawn', resolve));
    writeFileSync(lockFile, JSON.stringify({ pid: holder.pid, execPath: process.execPath, startedAt: 1 }));
    const refused = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers, socketListens: somethingListens });
    expect(refused).toEqual({ acquired: false, owner: { pid: holder.pid, startedAt: 1, coreAnswers: false } });
    // The holder's lock is untouched.
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: holder.pid });
    const taken = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers, socketListens: nobodyAnswers });
    expect(taken.acquired).toBe(true);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  // pid 1 is alive for ever; here (a container) even root cannot read its /proc/1/exe, and on a
  // Mac no executable is read at all. Such a lock used to refuse every start, for good.
  it('with no recorded start, naming a live process whose executable cannot be read (pid 1), is taken over when nothing listens', async () => {
    writeFileSync(lockFile, JSON.stringify({ pid: 1, execPath: process.execPath, startedAt: 9 }));
    const result = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers, socketListens: nobodyAnswers });
    expect(result.acquired).toBe(true);
    expect(readdirSync(dir)).toEqual(['core.lock']);
  });

  it('is refused whenever a core answers on the socket, even for our own pid, saying it answers', async () => {
    writeFileSync(lockFile, JSON.stringify({ pid: process.pid, execPath: process.execPath, startedAt: 2 }));
    const result = await InstanceLock.acquire({ lockFile, coreAnswers: async () => true });
    expect(result).toEqual({ acquired: false, owner: { pid: process.pid, startedAt: 2, coreAnswers: true } });
  });

  it('takes over a stale lock left by a process that died', async () => {
    const deadPid = await pidOfExitedProcess();
    writeFileSync(lockFile, JSON.stringify({ pid: deadPid, execPath: process.execPath, startedAt: 3 }));
    const result = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers });
    expect(result.acquired).toBe(true);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(readdirSync(dir)).toEqual(['core.lock']);
  });

  it.runIf(process.platform === 'linux')('takes over a lock whose pid now belongs to another program (pid reuse)', async () => {
    const unrelated = startIdleProcess('sleep', ['30']);
    children.push(unrelated);
    await new Promise((resolve) => unrelated.once('spawn', resolve));
    writeFileSync(lockFile, JSON.stringify({ pid: unrelated.pid, execPath: process.execPath, startedAt: 4 }));
    const result = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers });
    expect(result.acquired).toBe(true);
  });

  it('records when its owner started, as the system tells it', async () => {
    const result = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers });
    expect(result.acquired).toBe(true);
    const start = await processStartOf(process.pid);
    expect(start).not.toBeNull();
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: process.pid, processStart: start });
  });

  it('is refused while its live owner holds it, the start it recorded matching', async () => {
    const holder = startIdleProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    children.push(holder);
    await new Promise((resolve) => holder.once('spawn', resolve));
    const processStart = await processStartOf(holder.pid!);
    writeFileSync(lockFile, JSON.stringify({ pid: holder.pid, execPath: process.execPath, startedAt: 6, processStart }));
    // Its start proves it is the owner (a core still starting: no socket yet), so the socket is not asked.
    const result = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers, socketListens: nobodyAnswers });
    expect(result).toEqual({ acquired: false, owner: { pid: holder.pid, startedAt: 6, coreAnswers: false } });
  });

  it('takes over a lock whose live pid is another process of the same program (it started at another time)', async () => {
    // The executable cannot tell this one from the owner: only the start can.
    const reuser = startIdleProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    children.push(reuser);
    await new Promise((resolve) => reuser.once('spawn', resolve));
    const ownerStart = await processStartOf(process.pid);
    writeFileSync(lockFile, JSON.stringify({ pid: reuser.pid, execPath: process.execPath, startedAt: 7, processStart: ownerStart }));
    const result = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers });
    expect(result.acquired).toBe(true);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(reuser.exitCode).toBeNull();
  });

  it('takes over a lock naming a live, unrelated process: a sleep, and the test runner\'s parent', async () => {
    const sleeper = startIdleProcess('sleep', ['30']);
    children.push(sleeper);
    await new Promise((resolve) => sleeper.once('spawn', resolve));
    const ownerStart = await processStartOf(process.pid);
    for (const pid of [sleeper.pid!, process.ppid]) {
      writeFileSync(lockFile, JSON.stringify({ pid, execPath: process.execPath, startedAt: 8, processStart: ownerStart }));
      const result = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers });
      expect(result.acquired, `a lock naming pid ${pid}`).toBe(true);
      if (result.acquired) await result.lock.release();
    }
  });

  it('takes over a lock file that is not a lock (garbage)', async () => {
    writeFileSync(lockFile, 'not json at all');
    const result = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers });
    expect(result.acquired).toBe(true);
  });

  it('takes over, without reading it whole, a lock file far larger than any lock', async () => {
    writeFileSync(lockFile, JSON.stringify({ pid: process.pid, padding: 'x'.repeat(1024 * 1024) }));
    const result = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers });
    expect(result.acquired).toBe(true);
    if (result.acquired) await result.lock.release();
  });

  it('does not remove a lock someone else took after ours was released', async () => {
    const first = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers });
    if (!first.acquired) throw new Error('expected the lock');
    rmSync(lockFile);
    writeFileSync(lockFile, JSON.stringify({ pid: 999_999, execPath: 'other', startedAt: 5 }));
    await first.lock.release();
    expect(existsSync(lockFile)).toBe(true);
  });
});

describe.skipIf(process.platform === 'win32')('the lock when core.lock is not a regular file', () => {
  let dir: string;
  let lockFile: string;
  let fifo: string | null = null;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bb-lock-fifo-'));
    lockFile = path.join(dir, 'core.lock');
  });
  afterEach(async () => {
    // Opening a FIFO for reading and writing never blocks, and lets any stuck opener through.
    const handle = fifo ? await open(fifo, constants.O_RDWR | constants.O_NONBLOCK).catch(() => null) : null;
    await handle?.close();
    fifo = null;
    rmSync(dir, { recursive: true, force: true });
  });

  const refusal = (kind: string) =>
    `${lockFile} is ${kind}, not a regular file: Builder Bar keeps the lock of this state dir there and will not open it. Move it away and start again.`;

  it('refuses a FIFO, naming it, without opening it, and leaves it and nothing else there', async () => {
    await execa('mkfifo', [lockFile]);
    fifo = lockFile;
    await expect(InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers })).rejects.toThrow(refusal('a FIFO'));
    expect(readdirSync(dir)).toEqual(['core.lock']);
    expect(statSync(lockFile).isFIFO()).toBe(true);
  });

  it('refuses a directory and a symbolic link to a FIFO the same way', async () => {
    mkdirSync(lockFile);
    await expect(InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers })).rejects.toThrow(refusal('a directory'));
    rmSync(lockFile, { recursive: true });
    fifo = path.join(dir, 'elsewhere');
    await execa('mkfifo', [fifo]);
    symlinkSync(fifo, lockFile);
    await expect(InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers })).rejects.toThrow(refusal('a symbolic link to a FIFO'));
    expect(readdirSync(dir).sort()).toEqual(['core.lock', 'elsewhere']);
  });

  it('leaves alone, on release, a FIFO put where its lock was', async () => {
    const result = await InstanceLock.acquire({ lockFile, coreAnswers: nobodyAnswers });
    if (!result.acquired) return expect.fail('the lock was not taken');
    rmSync(lockFile);
    await execa('mkfifo', [lockFile]);
    fifo = lockFile;
    await result.lock.release();
    expect(statSync(lockFile).isFIFO()).toBe(true);
  });
});

describe('when a process started', () => {
  it('reads the same for the same process, another for another process, and null for none', async () => {
    const first = await processStartOf(process.pid);
    expect(first).not.toBeNull();
    expect(await processStartOf(process.pid)).toBe(first);
    // pid 1 started at boot, long before this test.
    expect(await processStartOf(1)).not.toBe(first);
    expect(await processStartOf(await pidOfExitedProcess())).toBeNull();
  });

  // The macOS way (ps -o lstart=), wherever a ps that knows lstart exists.
  it.runIf(existsSync('/bin/ps'))('through ps: to the second, the same on every read, another for a process started earlier', async () => {
    const ours = await processStartOf(process.pid, 'darwin');
    expect(ours).toMatch(/^lstart \w{3} \w{3} \d{1,2} \d\d:\d\d:\d\d \d{4}$/);
    expect(await processStartOf(process.pid, 'darwin')).toBe(ours);
    expect(await processStartOf(1, 'darwin')).not.toBe(ours);
    expect(await processStartOf(await pidOfExitedProcess(), 'darwin')).toBeNull();
  });
});

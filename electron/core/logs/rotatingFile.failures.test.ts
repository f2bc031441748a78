/**
 * The log writer on filesystems that refuse it, for real: a directory where a rotated file
 * should be, and a log directory that cannot be changed (`chattr +i` as root, where file modes
 * do not stop writes; mode 0555 otherwise). Attempts are counted through spies on the real fs
 * calls, and retries run when the test fires them, so nothing depends on how fast the machine is.
 */
import { execa } from 'execa';
import { constants, promises as fsPromises } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RotatingFile, type RotatingFileOptions } from './rotatingFile.js';
import { mkfifo, releaseFifos } from '../util/testing/fifos.js';

/** Makes `dir` refuse new entries and renames; null when this machine cannot. */
async function makeUnchangeable(dir: string): Promise<(() => Promise<void>) | null> {
  const probe = path.join(dir, '.probe');
  const refuses = () => writeFile(probe, '').then(async () => {
    await rm(probe, { force: true });
    return false;
  }, () => true);
  if (process.getuid?.() === 0) {
    const set = await execa('chattr', ['+i', dir], { reject: false });
    const undo = async () => void (await execa('chattr', ['-i', dir], { reject: false }));
    if (set.exitCode === 0 && (await refuses())) return undo;
    await undo();
    return null;
  }
  await chmod(dir, 0o555);
  const undo = () => chmod(dir, 0o700);
  if (await refuses()) return undo;
  await undo();
  return null;
}

/** Retries the test fires by hand, with the delays the writer asked for. */
function manualRetries() {
  const waiting: Array<{ run: () => void; delayMs: number }> = [];
  const asked: number[] = [];
  return {
    schedule: (run: () => void, delayMs: number) => {
      waiting.push({ run, delayMs });
      asked.push(delayMs);
    },
    /** Every delay asked for, in order. */
    delays: () => [...asked],
    fire() {
      const next = waiting.shift();
      if (!next) throw new Error('no retry is scheduled');
      next.run();
    },
  };
}

/** Lets the writer run whatever it would run next (a spinning writer runs a lot). */
async function settle(file: RotatingFile): Promise<void> {
  for (let i = 0; i < 20; i += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    await file.flush();
  }
}

let dir: string;
let undo: (() => Promise<void>) | null = null;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bb-rotating-fail-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await undo?.();
  undo = null;
  await releaseFifos();
  await rm(dir, { recursive: true, force: true });
});

function writer(options: Partial<RotatingFileOptions> & { errors: Error[] }): RotatingFile {
  const { errors, ...rest } = options;
  return new RotatingFile({ path: path.join(dir, 'x.log'), maxBytes: 100, keep: 1, onError: (error) => errors.push(error), ...rest });
}

describe('RotatingFile when rotation fails', () => {
  it('with a directory where x.log.1 should be: tries once, keeps every line in x.log past its size, and does not spin', async () => {
    await mkdir(path.join(dir, 'x.log.1'));
    await writeFile(path.join(dir, 'x.log.1', 'not a log'), 'keep me');
    const rm = vi.spyOn(fsPromises, 'rm');
    const errors: Error[] = [];
    let clock = 1_000_000;
    const file = writer({ errors, now: () => clock });
    for (let round = 0; round < 20; round += 1) {
      for (let i = 0; i < 10; i += 1) file.write(`line ${round * 10 + i}\n`);
      await settle(file);
    }
    const rotationAttempts = () => rm.mock.calls.filter(([target]) => target === path.join(dir, 'x.log.1')).length;
    expect(rotationAttempts()).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/Could not rotate .*x\.log .*lines go on into it past 100 bytes/);
    const lines = (await readFile(path.join(dir, 'x.log'), 'utf8')).trim().split('\n');
    expect(lines).toEqual(Array.from({ length: 200 }, (_, i) => `line ${i}`));
    expect(await readFile(path.join(dir, 'x.log.1', 'not a log'), 'utf8')).toBe('keep me');

    // After the back-off (1 s) rotation is tried again, once, and still not reported twice.
    clock += 1000;
    file.write('later\n');
    await settle(file);
    expect(rotationAttempts()).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it('in a log dir that cannot change (x.log exists): lines go on into x.log, rotation resumes once it can', async (context) => {
    await writeFile(path.join(dir, 'x.log'), 'old\n');
    undo = await makeUnchangeable(dir);
    if (!undo) return context.skip('this machine cannot make a directory unchangeable (no chattr +i as root)');
    const rename = vi.spyOn(fsPromises, 'rename');
    const errors: Error[] = [];
    let clock = 1_000_000;
    const file = writer({ errors, now: () => clock, keep: 2 });
    for (let i = 0; i < 50; i += 1) {
      file.write(`line ${i} .........\n`);
      await settle(file);
    }
    const lines = (await readFile(path.join(dir, 'x.log'), 'utf8')).trim().split('\n');
    expect(lines).toEqual(['old', ...Array.from({ length: 50 }, (_, i) => `line ${i} .........`)]);
    expect(rename.mock.calls.filter(([from]) => from === path.join(dir, 'x.log'))).toHaveLength(1);
    expect(errors.map((error) => error.message)).toEqual([expect.stringMatching(/^Could not rotate/)]);

    await undo();
    undo = null;
    clock += 1000;
    file.write('rotated\n');
    await file.flush();
    expect((await readdir(dir)).sort()).toEqual(['x.log', 'x.log.1']);
    expect(await readFile(path.join(dir, 'x.log'), 'utf8')).toBe('rotated\n');
  });
});

describe('RotatingFile when the file cannot be written at all', () => {
  it('backs off 1 s doubling to 30 s, keeps its queue bounded, and writes what it kept and how many lines it dropped once it can', async (context) => {
    undo = await makeUnchangeable(dir);
    if (!undo) return context.skip('this machine cannot make a directory unchangeable (no chattr +i as root)');
    // Each attempt opens the file (and fails to, in a directory that cannot change).
    const attempts = vi.spyOn(fsPromises, 'open');
    const retries = manualRetries();
    const errors: Error[] = [];
    const file = writer({ errors, maxBytes: 1_000_000, maxQueuedBytes: 1000, schedule: retries.schedule });

    for (let round = 0; round < 100; round += 1) {
      for (let i = 0; i < 100; i += 1) file.write(`line ${String(round * 100 + i).padStart(5, '0')}\n`);
      await settle(file);
    }
    // One attempt, then nothing until the retry runs: no spin, however many lines came.
    expect(attempts).toHaveBeenCalledTimes(1);
    expect(file.queuedBytes).toBeLessThanOrEqual(1000 + 'line 00000\n'.length);
    // Each reported once: the refused append, and the first dropped line.
    expect(errors).toHaveLength(2);
    expect(errors.map((error) => error.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/(EPERM|EACCES).*retrying every 1 s/), expect.stringMatching(/lines are dropped \(and counted in the file\)/)]),
    );

    for (let attempt = 2; attempt <= 8; attempt += 1) {
      retries.fire();
      await settle(file);
      expect(attempts).toHaveBeenCalledTimes(attempt);
    }
    expect(retries.delays()).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(errors).toHaveLength(2);

    await undo();
    undo = null;
    retries.fire();
    await settle(file);
    file.write('after\n');
    await file.flush();
    const lines = (await readFile(path.join(dir, 'x.log'), 'utf8')).trim().split('\n');
    const kept = lines.filter((line) => line.startsWith('line '));
    // The oldest lines were kept, in order; the rest were counted where the gap is.
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `line ${String(i).padStart(5, '0')}`));
    const note = /WARN {2}(\d+) lines dropped/.exec(lines.at(-2) ?? '');
    expect(note, lines.slice(-3).join('\n')).not.toBeNull();
    expect(kept.length + Number(note![1])).toBe(10_000);
    expect(lines.at(-1)).toBe('after');
    expect(file.queuedBytes).toBe(0);
  });
});

describe.skipIf(process.platform === 'win32')('RotatingFile when its path is not a regular file', () => {
  it('never opens a FIFO (no reader): one report, the usual back-off, and the lines are written once it is moved away', async () => {
    const fifo = await mkfifo(path.join(dir, 'x.log'));
    const retries = manualRetries();
    const errors: Error[] = [];
    const file = writer({ errors, maxBytes: 1_000_000, schedule: retries.schedule });

    file.write('one\n');
    await settle(file);
    file.write('two\n');
    await settle(file);
    expect(errors.map((error) => error.message)).toEqual([
      `${fifo} is a FIFO, not a regular file: move it away; the log is written there again once it is gone (retrying every 1 s up to every 30 s; lines wait in memory meanwhile)`,
    ]);
    retries.fire();
    await settle(file);
    expect(retries.delays()).toEqual([1000, 2000]);
    expect(errors).toHaveLength(1);
    expect((await stat(fifo)).isFIFO()).toBe(true);

    await rm(fifo);
    retries.fire();
    await settle(file);
    expect(await readFile(fifo, 'utf8')).toBe('one\ntwo\n');
    expect(file.queuedBytes).toBe(0);
  });

  it('refuses a FIFO that has a reader too, writing nothing into it', async () => {
    const fifo = await mkfifo(path.join(dir, 'x.log'));
    const reader = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const errors: Error[] = [];
      const file = writer({ errors, maxBytes: 1_000_000, schedule: manualRetries().schedule });
      file.write('secret\n');
      await settle(file);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(/x\.log is a FIFO, not a regular file/);
      const { bytesRead } = await reader.read(Buffer.alloc(16), 0, 16).catch(() => ({ bytesRead: 0 }));
      expect(bytesRead).toBe(0);
    } finally {
      await reader.close();
    }
  });

  it('refuses a directory and a symbolic link to a FIFO the same way', async () => {
    await mkdir(path.join(dir, 'x.log'));
    const fifo = await mkfifo(path.join(dir, 'elsewhere'));
    await symlink(fifo, path.join(dir, 'y.log'));
    const errors: Error[] = [];
    // Its size (a directory's) is no reason to rotate it away: it stays where it is.
    const first = writer({ errors, schedule: manualRetries().schedule });
    first.write('a\n');
    await settle(first);
    expect((await stat(path.join(dir, 'x.log'))).isDirectory()).toBe(true);
    expect(await readdir(dir)).not.toContain('x.log.1');
    const other = writer({ errors, path: path.join(dir, 'y.log'), schedule: manualRetries().schedule });
    other.write('b\n');
    await settle(other);
    expect(errors.map((error) => error.message).sort()).toEqual([
      expect.stringContaining(`${path.join(dir, 'x.log')} is a directory, not a regular file`),
      expect.stringContaining(`${path.join(dir, 'y.log')} is a symbolic link to a FIFO, not a regular file`),
    ]);
  });
});

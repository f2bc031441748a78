/**
 * The writer keeps its file open only while it has something to write: a flood costs one write
 * per batch, and once the queue runs dry the file is closed, so a file someone else moved or
 * deleted is opened afresh.
 */
import { promises as fsPromises } from 'node:fs';
import { mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RotatingFile } from './rotatingFile.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bb-rotating-handle-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** FileHandle's prototype, to watch the writer's writes on the real class. */
async function fileHandlePrototype(): Promise<FileHandle> {
  const probe = await open(path.join(dir, '.probe'), 'w');
  await probe.close();
  await rm(path.join(dir, '.probe'));
  return Object.getPrototypeOf(probe) as FileHandle;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('RotatingFile file handle', () => {
  it('opens the file once for batches that keep coming, and closes it when the queue runs dry', async () => {
    const proto = await fileHandlePrototype();
    // `close` is each handle's own property: counted on the handles the writer opens.
    const realOpen = fsPromises.open;
    let closes = 0;
    const opens = vi.spyOn(fsPromises, 'open').mockImplementation(async (...args: Parameters<typeof realOpen>) => {
      const handle = await realOpen(...args);
      const realClose = handle.close.bind(handle);
      handle.close = () => {
        closes += 1;
        return realClose();
      };
      return handle;
    });
    const realWrite = proto.write as (...args: unknown[]) => Promise<unknown>;
    // Each write waits until the test has queued the next piece: the queue never runs dry.
    let release: (() => void) | null = null;
    let writes = 0;
    vi.spyOn(proto, 'write').mockImplementation(async function (this: FileHandle, ...args: unknown[]) {
      writes += 1;
      await new Promise<void>((resolve) => (release = resolve));
      return realWrite.apply(this, args);
    } as FileHandle['write']);
    const file = new RotatingFile({ path: path.join(dir, 'x.log'), maxBytes: 1_000_000, keep: 1, onError: (error) => expect.fail(error.message) });

    // The next piece is queued while the previous one is being written, then that write goes on.
    const letTheWaitingWriteGo = async () => {
      while (!release) await nextTurn();
      const go: () => void = release;
      release = null;
      go();
    };
    file.write('line 0\n');
    for (let i = 1; i < 10; i += 1) {
      while (!release) await nextTurn();
      file.write(`line ${i}\n`);
      await letTheWaitingWriteGo();
    }
    await letTheWaitingWriteGo();
    await file.flush();

    expect(writes).toBe(10);
    expect(opens).toHaveBeenCalledTimes(1);
    expect(closes).toBe(1);
    expect(await readFile(path.join(dir, 'x.log'), 'utf8')).toBe(Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''));
  });

  it('writes to a new file after its file was deleted between floods', async () => {
    const file = new RotatingFile({ path: path.join(dir, 'x.log'), maxBytes: 1_000_000, keep: 1, onError: (error) => expect.fail(error.message) });
    file.write('before\n');
    await file.flush();
    await rm(path.join(dir, 'x.log'));
    file.write('after\n');
    await file.flush();
    expect(await readFile(path.join(dir, 'x.log'), 'utf8')).toBe('after\n');
  });

  it('writes multi-byte text whole, counted in bytes', async () => {
    const file = new RotatingFile({ path: path.join(dir, 'x.log'), maxBytes: 40, keep: 1, onError: (error) => expect.fail(error.message) });
    // 3 lines of 15 bytes (11 characters): two fit in 40 bytes, the third starts a new file.
    for (const word of ['grüße', 'naïve', 'façad']) file.write(`${word} ✓✓\n`);
    await file.flush();
    expect(await readFile(path.join(dir, 'x.log.1'), 'utf8')).toBe('grüße ✓✓\nnaïve ✓✓\n');
    expect(await readFile(path.join(dir, 'x.log'), 'utf8')).toBe('façad ✓✓\n');
  });
});

/**
 * Paths that are not regular files, for real: FIFOs made with mkfifo, a listening Unix socket,
 * a directory, /dev/null, and symbolic links to each. None of them may be opened; a FIFO would
 * block the opener in the thread pool for ever.
 */
import { constants, promises as fsPromises } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileTooLargeError, NotRegularFileError, openRegularForAppending, readRegularFile } from './regularFile.js';
import { mkfifo, releaseFifos } from './testing/fifos.js';

const advice = { advice: 'move it away and start again', maxBytes: 1024 };

let dir: string;


beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bb-regular-'));
});
afterEach(async () => {
  await releaseFifos();
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** The check before the open sees nothing: as if the FIFO was put there just after it. */
function swappedInAfterTheCheck(): void {
  vi.spyOn(fsPromises, 'stat').mockRejectedValueOnce(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }));
}

describe.skipIf(process.platform === 'win32')('files that must be regular', () => {
  it('reads a regular file, and a symbolic link to one, as a plain read does', async () => {
    const file = path.join(dir, 'settings.json');
    await writeFile(file, '{"a":1}');
    await symlink(file, path.join(dir, 'link.json'));
    expect((await readRegularFile(file, advice)).toString()).toBe('{"a":1}');
    expect((await readRegularFile(path.join(dir, 'link.json'), advice)).toString()).toBe('{"a":1}');
  });

  it('refuses, unread, a file larger than the most Builder Bar ever writes there, saying its size', async () => {
    const file = path.join(dir, 'settings.json');
    await writeFile(file, 'x'.repeat(1024));
    expect((await readRegularFile(file, advice)).length).toBe(1024);
    await writeFile(file, 'x'.repeat(5 * 1024 * 1024));
    const error = await readRegularFile(file, advice).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect(error).toMatchObject({ code: 'EFBIG', sizeBytes: 5 * 1024 * 1024, maxBytes: 1024 });
    expect((error as Error).message).toBe(`${file} is 5.0 MiB, more than the 1 KiB Builder Bar ever writes there: move it away and start again`);
  });

  it('says ENOENT when nothing is there, or only a dangling link', async () => {
    await symlink(path.join(dir, 'gone'), path.join(dir, 'dangling'));
    await expect(readRegularFile(path.join(dir, 'absent'), advice)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readRegularFile(path.join(dir, 'dangling'), advice)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a FIFO without opening it, naming it and saying what to do', async () => {
    const fifo = await mkfifo(path.join(dir, 'settings.json'));
    const error = await readRegularFile(fifo, advice).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotRegularFileError);
    expect((error as Error).message).toBe(`${fifo} is a FIFO, not a regular file: move it away and start again`);
    expect((error as NotRegularFileError).code).toBe('ENOTREGULAR');
    // Still there, untouched.
    expect((await stat(fifo)).isFIFO()).toBe(true);
  });

  it('refuses a symbolic link to a FIFO, saying so', async () => {
    const fifo = await mkfifo(path.join(dir, 'elsewhere'));
    const link = path.join(dir, 'core.lock');
    await symlink(fifo, link);
    await expect(readRegularFile(link, advice)).rejects.toThrow(`${link} is a symbolic link to a FIFO, not a regular file`);
    await expect(openRegularForAppending(link, 0o600, advice)).rejects.toThrow(`${link} is a symbolic link to a FIFO, not a regular file`);
  });

  it('refuses a directory, a socket and a device, for reading and for appending', async () => {
    const directory = path.join(dir, 'a-dir');
    await mkdir(directory);
    const socketPath = path.join(dir, 's.sock');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      for (const [file, kind] of [[directory, 'a directory'], [socketPath, 'a socket'], ['/dev/null', 'a character device']] as const) {
        await expect(readRegularFile(file, advice)).rejects.toThrow(`${file} is ${kind}, not a regular file`);
        await expect(openRegularForAppending(file, 0o600, advice)).rejects.toThrow(`${file} is ${kind}, not a regular file`);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('appends to a regular file, creating it with the mode given, and through a link to one', async () => {
    const file = path.join(dir, 'app.log');
    const first = await openRegularForAppending(file, 0o600, advice);
    await first.write('one\n');
    await first.close();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await symlink(file, path.join(dir, 'link.log'));
    const second = await openRegularForAppending(path.join(dir, 'link.log'), 0o600, advice);
    await second.write('two\n');
    await second.close();
    expect(await readFile(file, 'utf8')).toBe('one\ntwo\n');
  });

  it('refuses to append to a FIFO, with or without a reader at its other end', async () => {
    const fifo = await mkfifo(path.join(dir, 'app.log'));
    await expect(openRegularForAppending(fifo, 0o600, advice)).rejects.toThrow(`${fifo} is a FIFO, not a regular file`);
    // With a reader, opening for writing would succeed: it is still refused, and nothing is written.
    const reader = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await expect(openRegularForAppending(fifo, 0o600, advice)).rejects.toThrow(`${fifo} is a FIFO, not a regular file`);
      const { bytesRead } = await reader.read(Buffer.alloc(16), 0, 16).catch(() => ({ bytesRead: 0 }));
      expect(bytesRead).toBe(0);
    } finally {
      await reader.close();
    }
  });

  it('still never blocks on a FIFO swapped in between the check and the open', async () => {
    const fifo = await mkfifo(path.join(dir, 'x'));
    swappedInAfterTheCheck();
    await expect(readRegularFile(fifo, advice)).rejects.toThrow(`${fifo} is a FIFO, not a regular file`);
    // No reader: the non-blocking open fails (ENXIO), and the error says what is there.
    swappedInAfterTheCheck();
    await expect(openRegularForAppending(fifo, 0o600, advice)).rejects.toThrow(`${fifo} is a FIFO, not a regular file`);
    // A reader: the open succeeds, and what was opened is refused.
    const reader = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      swappedInAfterTheCheck();
      await expect(openRegularForAppending(fifo, 0o600, advice)).rejects.toThrow(`${fifo} is a FIFO, not a regular file`);
    } finally {
      await reader.close();
    }
  });
});

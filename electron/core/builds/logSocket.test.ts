import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogSocketListener, nixLogSocketPath } from './logSocket.js';
import { socketAnswer } from './testing/socketAnswer.js';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-logsock-'));
  await fs.chmod(dir, 0o700);
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

interface Seen {
  lines: Array<[number, string]>;
  closed: number[];
}

async function open(options: { maxLineLength?: number; maxConnections?: number } = {}) {
  const seen: Seen = { lines: [], closed: [] };
  const opened = await LogSocketListener.open({
    socketPath: nixLogSocketPath(dir),
    onLine: (connection, line) => seen.lines.push([connection, line]),
    onClose: (connection) => seen.closed.push(connection),
    now: () => 42,
    ...options,
  });
  return { ...opened, seen };
}

/** Writes like a Nix process: connect, write, end; resolves once the listener saw the close. */
async function write(chunks: Array<string | Buffer>, seen: Seen): Promise<void> {
  const before = seen.closed.length;
  const socket = net.connect(nixLogSocketPath(dir));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  for (const chunk of chunks) {
    await new Promise<void>((resolve) => socket.write(chunk, () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  socket.end();
  for (let i = 0; i < 500 && seen.closed.length === before; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('LogSocketListener', () => {
  it('hands on whole lines per connection, however Nix\'s writes are cut, UTF-8 included', async () => {
    const { listener, seen } = await open();
    const euro = Buffer.from('{"msg":"€"}\n', 'utf8');
    await write(['{"a":1}\n{"b"', ':2}\n', euro.subarray(0, 8), euro.subarray(8)], seen);
    await write(['{"c":3}\n'], seen);
    expect(seen.lines).toEqual([
      [1, '{"a":1}'],
      [1, '{"b":2}'],
      [1, '{"msg":"€"}'],
      [2, '{"c":3}'],
    ]);
    expect(seen.closed).toEqual([1, 2]);
    expect(listener.counts()).toMatchObject({ connections: 2, lines: 4, open: 0 });
    await listener.close();
  });

  it('a record cut off by the end of its connection is handed on as it is (the stream counts it as malformed)', async () => {
    const { listener, seen } = await open();
    await write(['{"a":1}\n{"action":"sta'], seen);
    expect(seen.lines.map(([, line]) => line)).toEqual(['{"a":1}', '{"action":"sta']);
    await listener.close();
  });

  it('drops a line past the bound without buffering it, counts it, and keeps reading', async () => {
    const { listener, seen } = await open({ maxLineLength: 100 });
    await write(['{"ok":1}\n', 'x'.repeat(80), 'x'.repeat(80), 'x'.repeat(80), '\n{"ok":2}\n'], seen);
    expect(seen.lines.map(([, line]) => line)).toEqual(['{"ok":1}', '{"ok":2}']);
    expect(listener.counts().oversizedLines).toBe(1);
    await listener.close();
  });

  it('refuses connections past the bound instead of queueing them', async () => {
    const { listener, seen } = await open({ maxConnections: 1 });
    const first = net.connect(nixLogSocketPath(dir));
    await new Promise((resolve) => first.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = net.connect(nixLogSocketPath(dir));
    second.on('error', () => undefined);
    second.write('{"dropped":1}\n');
    await new Promise((resolve) => second.once('close', resolve));
    expect(listener.counts().refusedConnections).toBe(1);
    expect(seen.lines).toEqual([]);
    first.destroy();
    await listener.close();
  });

  it('is a 0600 socket, and leaves a dead socket behind when it closes, so Nix is refused instead of writing a file there', async () => {
    const { listener } = await open();
    const socketPath = nixLogSocketPath(dir);
    const stat = await fs.lstat(socketPath);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
    await listener.close();
    expect((await fs.lstat(socketPath)).isSocket()).toBe(true);
    expect(await socketAnswer(socketPath)).toBe('ECONNREFUSED');
    expect((await fs.readdir(dir)).sort()).toEqual(['nix-log.sock']);
    // The next core takes the dead socket over.
    const again = await open();
    expect(await socketAnswer(socketPath)).toBe('connected');
    await again.listener.close();
  });

  it('moves a file Nix wrote at the path (while no socket was there) aside and keeps it', async () => {
    const socketPath = nixLogSocketPath(dir);
    await fs.writeFile(socketPath, '{"action":"msg"}\n');
    const { listener, movedAside } = await open();
    expect(movedAside).toBe(`${socketPath}.written-by-nix-42`);
    expect(await fs.readFile(movedAside!, 'utf8')).toBe('{"action":"msg"}\n');
    expect((await fs.lstat(socketPath)).isSocket()).toBe(true);
    await listener.close();
  });

  it('refuses a path that is not ours (a link, a directory) and a directory others may write, touching nothing', async () => {
    const socketPath = nixLogSocketPath(dir);
    await fs.symlink('/tmp/elsewhere', socketPath);
    await expect(open()).rejects.toThrow(/is a symbolic link, not Builder Bar's Nix log socket/);
    expect(await fs.readlink(socketPath)).toBe('/tmp/elsewhere');
    await fs.rm(socketPath);
    await fs.mkdir(socketPath);
    await expect(open()).rejects.toThrow(/is a directory/);
    await fs.rmdir(socketPath);
    await fs.chmod(dir, 0o777);
    await expect(open()).rejects.toThrow(/may be written by others/);
    expect(await fs.readdir(dir)).toEqual([]);
  });
});

describe('LogSocketListener in a state dir too deep for a socket', () => {
  it('refuses before binding anything, and says to use a shorter state dir', async () => {
    // Fits the CLI's `core.sock` but not `nix-log.sock` beside it (103 bytes at most).
    const deep = path.join(dir, 'd'.repeat(Math.max(1, 103 - Buffer.byteLength(dir) - '/core.sock'.length - 1)));
    await fs.mkdir(deep, { mode: 0o700 });
    expect(Buffer.byteLength(path.join(deep, 'core.sock'))).toBeLessThanOrEqual(103);
    const socketPath = nixLogSocketPath(deep);
    await expect(LogSocketListener.open({ socketPath, onLine: () => undefined, onClose: () => undefined })).rejects.toThrow(
      `The Nix log socket path ${socketPath} is longer than the 103 bytes a unix socket allows. Use a shorter --state-dir.`,
    );
    expect(await fs.readdir(deep)).toEqual([]);
    expect(await fs.readdir(dir)).toEqual([path.basename(deep)]);
  });
});

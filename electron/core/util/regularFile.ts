/**
 * Files Builder Bar reads or appends to in its state dir (settings.json, core.lock, the log
 * files) must be regular files. Opening anything else can block for ever or do something no
 * file read should: a FIFO blocks its opener until the other end opens (in Node's thread pool,
 * where no signal reaches it), a device may be a terminal or a tape. So such a path is refused
 * before it is opened, with an error that names it and says what it is.
 *
 * Two steps, so a file swapped in between cannot make us block either: a `stat` first (nothing
 * but a regular file or nothing at all gets opened), then an open with O_NONBLOCK (opening a FIFO
 * then returns at once, or fails with ENXIO when it is opened for writing and nobody reads)
 * and an `fstat` of what was opened. O_NONBLOCK changes nothing for a regular file.
 *
 * A symbolic link is followed, as a plain open does; what it points to must be a regular file.
 */
import { constants, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** What a path is, for a message: "a FIFO", "a directory", … */
export function describeFileType(stat: Stats): string {
  if (stat.isFile()) return 'a regular file';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** A path Builder Bar would read or write that is not a regular file; it was not opened. */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREGULAR';

  constructor(
    readonly path: string,
    /** "a FIFO", "a symbolic link to a directory", … */
    readonly kind: string,
    advice: string,
  ) {
    super(`${path} is ${kind}, not a regular file: ${advice}`);
    this.name = 'NotRegularFileError';
  }
}

export interface RegularFileOptions {
  /** What the user should do, ending the message: "move it away and start Builder Bar again". */
  advice: string;
}

/**
 * A state file far larger than Builder Bar ever writes (a forged or runaway settings.json or
 * core.lock): refused before it is read, so a gigabyte there costs no memory. Not read.
 */
export class FileTooLargeError extends Error {
  readonly code = 'EFBIG';

  constructor(
    readonly path: string,
    readonly sizeBytes: number,
    readonly maxBytes: number,
    advice: string,
  ) {
    super(`${path} is ${describeSize(sizeBytes)}, more than the ${describeSize(maxBytes)} Builder Bar ever writes there: ${advice}`);
    this.name = 'FileTooLargeError';
  }
}

function describeSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(bytes >= 10 * 1024 * 1024 ? 0 : 1)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK;

/**
 * Opens `file` for reading, only if it is a regular file (or a link to one). Throws ENOENT as
 * `open` does when nothing is there, and NotRegularFileError, without opening it, for anything else.
 */
export function openRegularForReading(file: string, options: RegularFileOptions): Promise<FileHandle> {
  return openRegular(file, READ_FLAGS, undefined, options);
}

/** Opens `file` to append to it, creating it with `mode` when absent; refuses as `openRegularForReading`. */
export function openRegularForAppending(file: string, mode: number, options: RegularFileOptions): Promise<FileHandle> {
  return openRegular(file, APPEND_FLAGS, mode, options);
}

/**
 * The whole content of `file`, refused as `openRegularForReading` refuses, and with
 * FileTooLargeError, unread, when it holds more than `maxBytes`.
 */
export async function readRegularFile(file: string, options: RegularFileOptions & { maxBytes: number }): Promise<Buffer> {
  const handle = await openRegularForReading(file, options);
  try {
    const { size } = await handle.stat();
    if (size > options.maxBytes) throw new FileTooLargeError(file, size, options.maxBytes, options.advice);
    // Read no more than the limit even if the file grew since the stat.
    const buffer = Buffer.alloc(Math.min(size, options.maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > options.maxBytes) throw new FileTooLargeError(file, length, options.maxBytes, options.advice);
    return buffer.subarray(0, length);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function openRegular(file: string, flags: number, mode: number | undefined, options: RegularFileOptions): Promise<FileHandle> {
  await refuseIfNotRegular(file, options);
  let handle: FileHandle;
  try {
    handle = await fs.open(file, flags, mode);
  } catch (error) {
    // A FIFO without a reader (ENXIO), a socket (ENXIO on Linux, EOPNOTSUPP on macOS) or a
    // directory (EISDIR) swapped in after the check: say what it is rather than the errno.
    await refuseIfNotRegular(file, options);
    throw error;
  }
  let stat: Stats;
  try {
    stat = await handle.stat();
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  if (!stat.isFile()) {
    await handle.close().catch(() => undefined);
    throw new NotRegularFileError(file, await kindOf(file, stat), options.advice);
  }
  return handle;
}

/** Throws NotRegularFileError when `file` exists and is not a regular file; nothing there is fine. */
async function refuseIfNotRegular(file: string, options: RegularFileOptions): Promise<void> {
  const stat = await fs.stat(file).catch(() => null);
  if (stat && !stat.isFile()) throw new NotRegularFileError(file, await kindOf(file, stat), options.advice);
}

/** What `file` is, saying so when a symbolic link leads to it. */
async function kindOf(file: string, target: Stats): Promise<string> {
  const link = await fs.lstat(file).catch(() => null);
  const kind = describeFileType(target);
  return link?.isSymbolicLink() ? `a symbolic link to ${kind.replace(/^not /, 'something not ')}` : kind;
}

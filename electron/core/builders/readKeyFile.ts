/**
 * Reads the private key a remote builder names, as a key and nothing else: a regular file of
 * at most a few tens of KB (an ed25519 key is 0.4 KB, a 16384-bit RSA key under 13 KB). The
 * health check runs every few minutes, so a path to `/dev/zero`, a FIFO or a huge file must be
 * refused before it is read, not read whole each time.
 */
import { constants, promises as fs } from 'node:fs';

export const MAX_KEY_FILE_BYTES = 64 * 1024;

export class KeyFileError extends Error {}

export async function readKeyFile(file: string, maxBytes = MAX_KEY_FILE_BYTES): Promise<string> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
  const handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new KeyFileError(`${file} is not a regular file (a private key is one)`);
    }
    if (stat.size > maxBytes) {
      throw new KeyFileError(`${file} is ${stat.size} bytes; a private key is a few KB (at most ${maxBytes} bytes are read)`);
    }
    // Read at most one byte past the limit, in case the file grew since the stat.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw new KeyFileError(`${file} is larger than ${maxBytes} bytes; a private key is a few KB`);
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    await handle.close();
  }
}

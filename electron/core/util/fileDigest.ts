/**
 * The SHA-256 and size of a file, computed on a worker thread. A restore streams a 160-210 MiB
 * state into QEMU while checking it: hashing on the core's own thread doubled the time the
 * stream took (0.5 s against 0.26 s here) and QEMU waited on it; on a worker both reads run side
 * by side (the second from the page cache) and the stream goes at QEMU's pace.
 *
 * This thread opens the file and closes it once the worker is gone; the worker only reads the
 * descriptor. When the worker opened it (a read stream), its answer came at the stream's end,
 * before the stream's asynchronous close, and terminating the worker then left the descriptor
 * open: a long-running core kept one more open state file per save and per restore.
 */
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

export interface FileDigest {
  sha256: string;
  sizeBytes: number;
}

// Plain JavaScript run by the worker (eval): no module of this project is loaded there.
const WORKER_SOURCE = `
const { createHash } = require('node:crypto');
const { readSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
try {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafeSlow(1024 * 1024);
  let sizeBytes = 0;
  for (;;) {
    const read = readSync(workerData.fd, buffer, 0, buffer.length, sizeBytes);
    if (read === 0) break;
    hash.update(buffer.subarray(0, read));
    sizeBytes += read;
  }
  parentPort.postMessage({ sha256: hash.digest('hex'), sizeBytes });
} catch (error) {
  parentPort.postMessage({ error: error.message });
}
`;

export async function fileDigest(file: string, signal?: AbortSignal): Promise<FileDigest> {
  if (signal?.aborted) throw new Error('cancelled');
  const handle = await open(file, 'r');
  let worker: Worker | null = null;
  try {
    const running = new Worker(WORKER_SOURCE, { eval: true, workerData: { fd: handle.fd } });
    worker = running;
    return await new Promise<FileDigest>((resolve, reject) => {
      const onAbort = (): void => reject(new Error('cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
      const settle = (): void => signal?.removeEventListener('abort', onAbort);
      running.once('message', (message: { error?: string } & Partial<FileDigest>) => {
        settle();
        if (message.error !== undefined || message.sha256 === undefined || message.sizeBytes === undefined) {
          reject(new Error(message.error ?? 'the digest worker answered nothing'));
        } else {
          resolve({ sha256: message.sha256, sizeBytes: message.sizeBytes });
        }
      });
      running.once('error', (error) => {
        settle();
        reject(error);
      });
      running.once('exit', (code) => {
        settle();
        reject(new Error(`the digest worker exited (${code}) before it answered`));
      });
    });
  } finally {
    // The worker is gone before the descriptor closes: it never reads a number reused by then.
    await worker?.terminate().catch(() => undefined);
    await handle.close();
  }
}

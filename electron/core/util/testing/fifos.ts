/**
 * Real FIFOs for tests of code that must never open one (core/util/regularFile.ts), and their
 * release: should a regression leave something stuck opening one, `releaseFifos` lets it through,
 * so the test fails on its assertion instead of hanging the run.
 */
import { execa } from 'execa';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

const made: string[] = [];

/** A real FIFO at `file`, released by the next `releaseFifos`. */
export async function mkfifo(file: string): Promise<string> {
  await execa('mkfifo', [file]);
  made.push(file);
  return file;
}

/** Opens each FIFO made since the last call for reading and writing, which never blocks and lets any stuck opener through. */
export async function releaseFifos(): Promise<void> {
  for (const fifo of made.splice(0)) {
    const handle = await open(fifo, constants.O_RDWR | constants.O_NONBLOCK).catch(() => null);
    await handle?.close();
  }
}

/**
 * A core whose queue of waiting connections is full (it is stuck and accepts nobody, or some
 * process floods its socket): connect fails with EAGAIN. The CLI must say so in words, not die
 * with "unexpected error" and a stack trace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STATE_DIR_MARKER } from '../../core/stateDir.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './exitCodes.js';
import { runCli } from './runCli.js';

/** Listens with the smallest queue, then blocks its own event loop: it never accepts anyone. */
const stuckCore = `
const net = require('node:net');
net.createServer().listen({ path: process.argv[1], backlog: 0 }, () => {
  process.stdout.write('listening\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
});
`;

describe('a core that accepts no connection', () => {
  let stateDir: string;
  let child: ResultPromise;
  const fillers: net.Socket[] = [];

  beforeEach(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'bb-queue-'));
    writeFileSync(path.join(stateDir, STATE_DIR_MARKER), '');
    child = execa(process.execPath, ['-e', stuckCore, path.join(stateDir, 'core.sock')], { reject: false, stdin: 'ignore' });
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  });

  afterEach(async () => {
    for (const socket of fillers.splice(0)) socket.destroy();
    child.kill('SIGKILL');
    await child;
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('says the core is not taking connections and what to do, with exit 1', async () => {
    // Fill the queue until the kernel refuses the next connection.
    for (let refused = false; !refused && fillers.length < 1000; ) {
      refused = await new Promise<boolean>((resolve) => {
        const socket = net.connect(path.join(stateDir, 'core.sock'));
        fillers.push(socket);
        socket.once('connect', () => resolve(false));
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EAGAIN'));
      });
    }
    for (const words of ['status', 'nix remove']) {
      const err: string[] = [];
      const io: CliIo = { out: () => undefined, err: (line) => err.push(line), env: {}, signal: new AbortController().signal };
      expect(await runCli(['--state-dir', stateDir, ...words.split(' ')], io)).toBe(ExitCode.failed);
      expect(err.join('\n')).toContain(`Error: The Builder Bar core for ${stateDir} is not taking connections`);
      expect(err.join('\n')).toContain(path.join(stateDir, 'core.lock'));
    }
  });
});

/**
 * `builder-bar proxy` facing a core that does not serve it. ssh runs the proxy for Nix and Nix
 * shows the proxy's stderr, so each way of not getting the builder must end the proxy and say
 * why: a SIGTERM while the core starts the builder (the proxy used to wait on, only ssh's
 * SIGHUP ended it), and a core whose socket queue is full (EAGAIN: it used to say "Builder Bar
 * is not running", and the advice to open Builder Bar does nothing for a core that is stuck).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statePaths } from '../../core/paths.js';
import { STATE_DIR_MARKER } from '../../core/stateDir.js';
import type { CommandContext } from './cliIo.js';
import { ExitCode } from './exitCodes.js';
import { runProxy, type Identity } from './proxyCommand.js';

const notRoot: Identity = { uid: () => 501, become: () => { throw new Error('must not change user'); } };

let stateDir: string;
let err: string[];
let stdout: PassThrough;
let received: string;

function context(signal: AbortSignal): CommandContext {
  return {
    io: { out: () => { throw new Error('proxy must never print to stdout'); }, err: (line) => err.push(line), env: {}, signal },
    paths: statePaths({ stateDir }),
    values: {},
    operands: [],
  };
}

beforeEach(() => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'bb-proxy-stuck-'));
  writeFileSync(path.join(stateDir, STATE_DIR_MARKER), '');
  err = [];
  received = '';
  stdout = new PassThrough();
  stdout.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
});

afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

describe('builder-bar proxy and a core that does not serve it', () => {
  it('ends at once on SIGTERM while waiting for the builder, saying why on stderr, and lets the hold go', async () => {
    // A core that takes the hold and is still starting the builder: it answers nothing yet.
    const connections: net.Socket[] = [];
    const server = net.createServer((socket) => {
      connections.push(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(statePaths({ stateDir }).socketPath, resolve));
    try {
      const controller = new AbortController();
      const running = runProxy(context(controller.signal), { stdin: new PassThrough(), stdout }, notRoot);
      while (connections.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 50));

      const asked = Date.now();
      controller.abort(); // what main.ts does on SIGTERM
      const code = await Promise.race([running, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 3_000))]);
      expect(code).toBe(ExitCode.interrupted);
      expect(Date.now() - asked).toBeLessThan(1_000);
      expect(err).toEqual([
        'builder-bar proxy: stopped (SIGTERM or Ctrl-C) while waiting for the Linux builder to start, so this build cannot use it.',
        `The builder keeps starting for the next build: "builder-bar --state-dir ${stateDir} status" shows how it is doing.`,
      ]);
      expect(received).toBe('');
      // The connection that held the builder is closed, so the core counts no hold for it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(connections.every((socket) => socket.destroyed || socket.readableEnded)).toBe(true);
    } finally {
      for (const socket of connections) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  describe('whose socket queue is full (EAGAIN)', () => {
    /** Listens with the smallest queue, then blocks its own event loop: it never accepts anyone. */
    const stuckCore = `
const net = require('node:net');
net.createServer().listen({ path: process.argv[1], backlog: 0 }, () => {
  process.stdout.write('listening\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
});
`;
    let child: ResultPromise;
    const fillers: net.Socket[] = [];

    beforeEach(async () => {
      child = execa(process.execPath, ['-e', stuckCore, statePaths({ stateDir }).socketPath], { reject: false, stdin: 'ignore' });
      await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
      // Fill the queue until the kernel refuses the next connection.
      for (let refused = false; !refused && fillers.length < 1000; ) {
        refused = await new Promise<boolean>((resolve) => {
          const socket = net.connect(statePaths({ stateDir }).socketPath);
          fillers.push(socket);
          socket.once('connect', () => resolve(false));
          socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EAGAIN'));
        });
      }
    });

    afterEach(async () => {
      for (const socket of fillers.splice(0)) socket.destroy();
      child.kill('SIGKILL');
      await child;
    });

    it('says the core is busy or stuck and where its pid is, not that Builder Bar is not running; exit 1', async () => {
      const code = await runProxy(context(new AbortController().signal), { stdin: new PassThrough(), stdout }, notRoot);
      expect(code).toBe(ExitCode.failed);
      const text = err.join('\n');
      expect(text).toContain(`builder-bar proxy: The Builder Bar core for ${stateDir} is not taking connections`);
      expect(text).toContain(path.join(stateDir, 'core.lock'));
      expect(text).not.toContain('is not running');
      expect(received).toBe('');
    });
  });
});

/**
 * A core that takes the connection and never answers (stopped with Ctrl-Z or SIGSTOP, stuck, or
 * any process listening at core.sock): the CLI must still end when asked. `timeout 10
 * builder-bar status` in a script sends one SIGTERM; a command that ignored it waited for ever.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STATE_DIR_MARKER } from '../../core/stateDir.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './exitCodes.js';
import { runCli } from './runCli.js';

describe('a core that never answers', () => {
  let stateDir: string;
  let server: net.Server;
  let connections: net.Socket[];

  beforeEach(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'bb-silent-'));
    writeFileSync(path.join(stateDir, STATE_DIR_MARKER), '');
    connections = [];
    // Reads every request, answers none.
    server = net.createServer((socket) => {
      connections.push(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(path.join(stateDir, 'core.sock'), resolve));
  });

  afterEach(async () => {
    for (const socket of connections) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(stateDir, { recursive: true, force: true });
  });

  it.each(['status', 'stop', 'settings get', 'nix remove'])('"%s" ends on Ctrl-C or SIGTERM, saying the core did not answer', async (words) => {
    const controller = new AbortController();
    const err: string[] = [];
    const io: CliIo = { out: () => undefined, err: (line) => err.push(line), env: {}, signal: controller.signal };
    const running = runCli(['--state-dir', stateDir, ...words.split(' ')], io);
    while (connections.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));

    const asked = Date.now();
    controller.abort();
    const code = await Promise.race([running, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 4_000))]);
    expect(code).toBe(ExitCode.interrupted);
    expect(Date.now() - asked).toBeLessThan(3_000);
    expect(err.join('\n')).toContain(`Stopped waiting: the Builder Bar core for ${stateDir} did not answer.`);
    expect(err.join('\n')).toContain(path.join(stateDir, 'core.lock'));
    // The connection is given up, not left open.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connections.every((socket) => socket.destroyed || socket.readableEnded)).toBe(true);
  });
});

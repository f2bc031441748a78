/**
 * The doors in front of the real core (`createCore`), with the builder VM stopped: what a user
 * sees from `builder-bar` and from a browser before pressing Start. The VM's own lifecycle is
 * tested by the supervisor's integration tests and the Playwright e2e.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { StatusSchema } from '../ipc/contract.js';
import type { CliIo } from './cli/cliIo.js';
import { runCli } from './cli/runCli.js';

interface Run {
  code: number;
  out: string[];
  err: string[];
}

function io(signal: AbortSignal = new AbortController().signal): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line) => out.push(line), err: (line) => err.push(line), env: {}, signal }, out, err };
}

describe('the doors in front of the real core, builder stopped', () => {
  let stateDir: string;
  let serveOut: string[];
  let serveErr: string[];
  const stopServe = new AbortController();
  let serving: Promise<number>;

  async function cli(...argv: string[]): Promise<Run> {
    const run = io();
    const code = await runCli(['--state-dir', stateDir, ...argv], run.io);
    return { code, out: run.out, err: run.err };
  }

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'bb-real-core-'));
    const run = io(stopServe.signal);
    serveOut = run.out;
    serveErr = run.err;
    serving = runCli(['--state-dir', stateDir, 'serve', '--profile', 'linux-test'], run.io);
    const deadline = Date.now() + 60_000;
    while (serveOut.length === 0 && Date.now() < deadline) {
      if (serveErr.length > 0) throw new Error(`serve failed: ${serveErr.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  afterAll(async () => {
    stopServe.abort();
    await serving;
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('serve prints its one line', () => {
    expect(serveErr).toEqual([]);
    expect(serveOut).toHaveLength(1);
    expect(serveOut[0]).toMatch(/^Builder Bar is serving on http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/);
  });

  it('status --json is a contract Status in state stopped', async () => {
    const run = await cli('status', '--json');
    expect(run.code).toBe(0);
    const status = StatusSchema.parse(JSON.parse(run.out.join('\n')));
    expect(status.state).toBe('stopped');
    expect(status.profile).toBe('linux-test');
  });

  it('settings get and set round-trip, and a refused value names the reason with exit 2', async () => {
    const set = await cli('settings', 'set', 'cpus=1', 'restartPolicy.enabled=false');
    expect(set.err).toEqual([]);
    expect(set.code).toBe(0);
    expect((await cli('settings', 'get', 'restartPolicy.enabled')).out).toEqual(['false']);
    expect((await cli('settings', 'get', 'cpus')).out).toEqual(['1']);

    const refused = await cli('settings', 'set', 'memoryMiB=1');
    expect(refused.code).toBe(2);
    expect(refused.err.join('\n')).toContain('memoryMiB');
    expect(refused.err.join('\n')).toContain('at least 512 MiB');
    expect((await cli('settings', 'get', 'memoryMiB')).out).not.toEqual(['1']);

    const wrongKind = await cli('settings', 'set', 'startOnLaunch=sometimes');
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.err.join('\n')).toContain('startOnLaunch');
  });

  it('logs show the core starting', async () => {
    const run = await cli('logs', '--source', 'app');
    expect(run.code).toBe(0);
    expect(run.out.join('\n')).toMatch(/\[app\] .*core started/);
  });

  it('a second serve on the same state dir is refused', async () => {
    const run = await cli('serve');
    expect(run.code).toBe(1);
    expect(run.err).toEqual([
      `Builder Bar is already running for ${stateDir} (pid ${process.pid}): its core answers on ${path.join(stateDir, 'core.sock')}. ` +
        `Use it ("builder-bar --state-dir ${stateDir} status" talks to it), or quit it first (Quit in its menu, or Ctrl-C where "builder-bar serve" runs); ` +
        'a second Builder Bar needs another --state-dir.',
    ]);
  });

  it('the browser door answers status.get with the same Status', async () => {
    const url = new URL((serveOut[0] ?? '').replace('Builder Bar is serving on ', ''));
    const token = url.hash.replace('#token=', '');
    const socket = new WebSocket(`ws://127.0.0.1:${url.port}/ws?token=${token}`, { origin: `http://127.0.0.1:${url.port}` });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const reply = new Promise<unknown>((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));
    socket.send(JSON.stringify({ id: 1, name: 'status.get', input: {} }));
    expect(await reply).toMatchObject({ id: 1, reply: { ok: true, value: { state: 'stopped' } } });
    socket.close();
  });

  it('stops on Ctrl-C and frees the state dir', async () => {
    stopServe.abort();
    expect(await serving).toBe(0);
    expect(existsSync(path.join(stateDir, 'core.lock'))).toBe(false);
    expect((await cli('status')).code).toBe(3);
  });
});

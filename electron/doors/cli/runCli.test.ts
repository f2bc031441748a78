/**
 * The CLI end to end in one process: `serve` (with a small transport core, so no VM) and the
 * client commands talking to it over the real unix socket in a temp state dir.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../../core/errors.js';
import type { Status } from '../../ipc/contract.js';
import { stoppedStatus, transportCore, type TransportCore } from '../testing/transportCore.js';
import type { CliIo } from './cliIo.js';
import { runCli } from './runCli.js';

interface Recorder {
  io: CliIo;
  out: string[];
  err: string[];
  abort(): void;
}

function recorder(env: NodeJS.ProcessEnv = {}): Recorder {
  const controller = new AbortController();
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (line) => out.push(line), err: (line) => err.push(line), env, signal: controller.signal },
    out,
    err,
    abort: () => controller.abort(),
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('with no core running', () => {
  let stateDir: string;
  beforeAll(() => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'bb-cli-none-'));
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('says how to start one and exits 3, for --state-dir and for BUILDER_BAR_HOME', async () => {
    const flag = recorder();
    expect(await runCli(['--state-dir', stateDir, 'status'], flag.io)).toBe(3);
    expect(flag.err).toEqual([`No Builder Bar core is running for ${stateDir}. Start one with: builder-bar serve (or npm start)`]);
    expect(flag.out).toEqual([]);

    const env = recorder({ BUILDER_BAR_HOME: stateDir });
    expect(await runCli(['settings', 'get'], env.io)).toBe(3);
    expect(env.err[0]).toContain(`for ${stateDir}.`);
  });

  it('exits 3 when only a stale socket file is left', async () => {
    const socketPath = path.join(stateDir, 'core.sock');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    writeFileSync(path.join(stateDir, 'core.sock'), ''); // not even a socket any more
    const run = recorder();
    expect(await runCli(['--state-dir', stateDir, 'stop'], run.io)).toBe(3);
  });

  it('refuses bad usage with exit 2 and a pointer to --help, before looking for a core', async () => {
    const run = recorder();
    expect(await runCli(['--state-dir', stateDir, 'logs', '--lines', 'many'], run.io)).toBe(2);
    expect(run.err).toEqual(['builder-bar logs: --lines must be a whole number from 1 to 100000 (got "many").', 'Run "builder-bar logs --help" for usage.']);
  });

  it('prints help on stdout with exit 0', async () => {
    const run = recorder();
    expect(await runCli(['start', '--help'], run.io)).toBe(0);
    expect(run.out.join('\n')).toContain('Usage: builder-bar [--state-dir DIR] start [--wait] [--timeout S]');
  });
});

describe('serve and the commands that talk to it', () => {
  let workDir: string;
  let stateDir: string;
  let rendererDir: string;
  let core: TransportCore;
  let serveRun: Recorder;
  let serving: Promise<number>;
  let startBehaviour: 'ready' | 'fail' = 'ready';
  const failedStatus: Status = {
    ...stoppedStatus,
    state: 'error',
    detail: 'QEMU exited',
    error: { message: 'QEMU exited with code 1', hint: 'See the qemu log.', exitCode: 1, signal: null, consoleTail: ['Kernel panic - not syncing: VFS'], at: 1 },
  };

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'bb-cli-'));
    stateDir = path.join(workDir, 'state');
    rendererDir = path.join(workDir, 'renderer');
    core = transportCore(stateDir, (emit) => ({
      'vm.start': async (input) => {
        if (!input.wait) return { ...stoppedStatus, state: 'starting', detail: 'booting' };
        emit({ name: 'status', payload: { ...stoppedStatus, state: 'starting', detail: 'booting' } });
        emit({ name: 'status', payload: { ...stoppedStatus, state: 'starting', detail: 'booting' } });
        emit({ name: 'status', payload: { ...stoppedStatus, state: 'starting', detail: 'waiting for ssh' } });
        if (startBehaviour === 'fail') {
          emit({ name: 'status', payload: failedStatus });
          throw new BuilderBarError('vm-failed', 'The builder failed to start: QEMU exited with code 1.', 'Run builder-bar logs --source qemu.');
        }
        const ready: Status = { ...stoppedStatus, state: 'ready', detail: 'ready', sshPort: 31022 };
        emit({ name: 'status', payload: ready });
        return ready;
      },
      'status.get': () => (startBehaviour === 'fail' ? failedStatus : stoppedStatus),
      'logs.tail': (input) => ({
        lines: [
          { seq: 1, time: 0, source: 'app', level: 'info', text: 'core started' },
          { seq: 2, time: 0, source: 'vm-console', level: 'info', text: 'Linux version 6.1' },
        ].filter((line) => !input.source || line.source === input.source) as Array<{ seq: number; time: number; source: 'app' | 'vm-console'; level: 'info'; text: string }>,
      }),
    }));
    serveRun = recorder();
    serving = runCli(['--state-dir', stateDir, 'serve'], serveRun.io, { serve: { createCore: async () => core, rendererDir } });
    await until(() => serveRun.out.length > 0 || serveRun.err.length > 0, 'serve to print its line');
  });

  afterAll(async () => {
    serveRun.abort();
    await serving;
    rmSync(workDir, { recursive: true, force: true });
  });

  it('prints exactly one line with the URL and the token, and owns the state dir', () => {
    expect(serveRun.err).toEqual([]);
    expect(serveRun.out).toHaveLength(1);
    expect(serveRun.out[0]).toMatch(/^Builder Bar is serving on http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/);
    expect(statSync(path.join(stateDir, 'core.sock')).mode & 0o777).toBe(0o600);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path.join(stateDir, 'core.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('refuses a second serve on the same state dir, naming the first', async () => {
    const second = recorder();
    expect(await runCli(['--state-dir', stateDir, 'serve'], second.io, { serve: { createCore: async () => core, rendererDir } })).toBe(1);
    expect(second.err).toEqual([
      `Builder Bar is already running for ${stateDir} (pid ${process.pid}): its core answers on ${path.join(stateDir, 'core.sock')}. ` +
        `Use it ("builder-bar --state-dir ${stateDir} status" talks to it), or quit it first (Quit in its menu, or Ctrl-C where "builder-bar serve" runs); ` +
        'a second Builder Bar needs another --state-dir.',
    ]);
    expect(second.out).toEqual([]);
    // The first one is untouched.
    const status = recorder();
    expect(await runCli(['--state-dir', stateDir, 'status', '--json'], status.io)).toBe(0);
  });

  it('status --json prints the contract Status object; status prints it for a person', async () => {
    const json = recorder();
    expect(await runCli(['--state-dir', stateDir, 'status', '--json'], json.io)).toBe(0);
    expect(JSON.parse(json.out.join('\n'))).toEqual(stoppedStatus);
    const human = recorder();
    expect(await runCli(['--state-dir', stateDir, 'status'], human.io)).toBe(0);
    expect(human.out[0]).toMatch(/^Builder: stopped for .* \(not running\)$/);
    expect(human.out[1]).toBe('Profile: linux-test');
  });

  it('start --wait prints each step once and says when the builder is ready', async () => {
    startBehaviour = 'ready';
    const run = recorder();
    expect(await runCli(['--state-dir', stateDir, 'start', '--wait', '--timeout', '60'], run.io)).toBe(0);
    expect(run.out).toEqual(['starting: booting', 'starting: waiting for ssh', 'ready', 'Builder is ready: ssh on 127.0.0.1:31022.']);
    const last = core.received.filter((request) => request.name === 'vm.start').at(-1);
    expect(last?.input).toEqual({ wait: true, timeoutSeconds: 60 });
  });

  it('start --wait exits 1 with the error and the console tail when the start fails', async () => {
    startBehaviour = 'fail';
    try {
      const run = recorder();
      expect(await runCli(['--state-dir', stateDir, 'start', '--wait'], run.io)).toBe(1);
      expect(run.err).toContain('Error: The builder failed to start: QEMU exited with code 1.');
      expect(run.err).toContain('Hint: Run builder-bar logs --source qemu.');
      expect(run.err).toContain('  Kernel panic - not syncing: VFS');
    } finally {
      startBehaviour = 'ready';
    }
  });

  it('start without --wait returns once the start has begun', async () => {
    const run = recorder();
    expect(await runCli(['--state-dir', stateDir, 'start'], run.io)).toBe(0);
    expect(run.out).toEqual(['Builder is starting (booting).']);
  });

  it('stop --force and restart reach the core with their input', async () => {
    const stop = recorder();
    expect(await runCli(['--state-dir', stateDir, 'stop', '--force'], stop.io)).toBe(0);
    expect(stop.out).toEqual(['Builder stopped.']);
    expect(core.received.filter((request) => request.name === 'vm.stop').at(-1)?.input).toEqual({ force: true });
    expect(await runCli(['--state-dir', stateDir, 'restart'], recorder().io)).toBe(0);
  });

  it('settings get prints all settings, one, or JSON; an unknown key is refused', async () => {
    const all = recorder();
    expect(await runCli(['--state-dir', stateDir, 'settings', 'get'], all.io)).toBe(0);
    expect(all.out).toContain('cpus = 1');
    expect(all.out).toContain('restartPolicy.enabled = true');
    const one = recorder();
    expect(await runCli(['--state-dir', stateDir, 'settings', 'get', 'memoryMiB'], one.io)).toBe(0);
    expect(one.out).toEqual(['1024']);
    const nested = recorder();
    expect(await runCli(['--state-dir', stateDir, 'settings', 'get', 'restartPolicy'], nested.io)).toBe(0);
    expect(JSON.parse(nested.out.join('\n'))).toEqual({ enabled: true, maxPerMinute: 6, giveUpAfter: 5 });
    const unknown = recorder();
    expect(await runCli(['--state-dir', stateDir, 'settings', 'get', 'colour'], unknown.io)).toBe(2);
    expect(unknown.err[0]).toMatch(/^There is no setting "colour"\. Settings: version, profile, cpus/);
  });

  it('settings set sends one nested patch; a refused value prints the reason and exits 2', async () => {
    const ok = recorder();
    expect(await runCli(['--state-dir', stateDir, 'settings', 'set', 'cpus=1', 'restartPolicy.enabled=true'], ok.io)).toBe(0);
    expect(core.received.filter((request) => request.name === 'settings.set').at(-1)?.input).toEqual({
      patch: { cpus: 1, restartPolicy: { enabled: true } },
    });
    expect(ok.out).toEqual(['Saved: cpus = 1, restartPolicy.enabled = true.']);

    const before = core.received.length;
    const refused = recorder();
    expect(await runCli(['--state-dir', stateDir, 'settings', 'set', 'cpus=0'], refused.io)).toBe(2);
    expect(refused.err[0]).toMatch(/^Error: Invalid input for settings\.set: patch\.cpus: at least 1 core/);
    const unknownKey = recorder();
    expect(await runCli(['--state-dir', stateDir, 'settings', 'set', 'colour=blue'], unknownKey.io)).toBe(2);
    expect(unknownKey.err[0]).toContain('colour');
    expect(core.received.length).toBe(before);

    const malformed = recorder();
    expect(await runCli(['--state-dir', stateDir, 'settings', 'set', 'cpus'], malformed.io)).toBe(2);
    expect(malformed.err).toEqual(['builder-bar settings set: Expected KEY=VALUE, got "cpus".']);
  });

  it('logs prints the tail, filtered by source', async () => {
    const all = recorder();
    expect(await runCli(['--state-dir', stateDir, 'logs'], all.io)).toBe(0);
    expect(all.out).toHaveLength(2);
    expect(all.out[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} \[vm-console\] Linux version 6\.1$/);
    const consoleOnly = recorder();
    expect(await runCli(['--state-dir', stateDir, 'logs', '--source', 'vm-console', '--lines', '5'], consoleOnly.io)).toBe(0);
    expect(consoleOnly.out).toHaveLength(1);
    expect(core.received.at(-1)?.input).toEqual({ source: 'vm-console', lines: 5 });
  });

  it('logs --follow prints new lines once each, of the chosen source, until Ctrl-C', async () => {
    const run = recorder();
    const following = runCli(['--state-dir', stateDir, 'logs', '--follow', '--source', 'vm-console'], run.io);
    await until(() => run.out.length === 1, 'the tail');
    core.emit({
      name: 'logs',
      payload: {
        lines: [
          { seq: 2, time: 0, source: 'vm-console', level: 'info', text: 'Linux version 6.1' }, // already printed
          { seq: 3, time: 0, source: 'app', level: 'info', text: 'not this source' },
          { seq: 4, time: 0, source: 'vm-console', level: 'error', text: 'login:' },
        ],
      },
    });
    await until(() => run.out.length === 2, 'the new line');
    run.abort();
    expect(await following).toBe(130);
    expect(run.out[1]).toMatch(/\[vm-console\] ERROR login:$/);
  });

  it('stops gracefully on Ctrl-C, leaving the VM running, and frees the state dir', async () => {
    serveRun.abort();
    expect(await serving).toBe(0);
    expect(core.closedWith).toEqual([{ stopBuilder: false }]);
    expect(serveRun.err.join('\n')).toContain('The builder VM keeps running');
    expect(existsSync(path.join(stateDir, 'core.sock'))).toBe(false);
    expect(existsSync(path.join(stateDir, 'core.lock'))).toBe(false);
    const after = recorder();
    expect(await runCli(['--state-dir', stateDir, 'status'], after.io)).toBe(3);
  });
});

describe('serve failures', () => {
  it('names the port when --port is taken, and leaves no lock behind', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'bb-cli-port-'));
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const core = transportCore(stateDir);
    const run = recorder();
    try {
      expect(await runCli(['--state-dir', stateDir, 'serve', '--port', String(port)], run.io, { serve: { createCore: async () => core } })).toBe(1);
      expect(run.err).toEqual([`Port ${port} on 127.0.0.1 is already in use. Choose another with --port N, or leave --port out for any free port.`]);
      expect(existsSync(path.join(stateDir, 'core.lock'))).toBe(false);
      expect(existsSync(path.join(stateDir, 'core.sock'))).toBe(false);
      expect(core.closedWith).toEqual([{ stopBuilder: false }]);
    } finally {
      blocker.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('--stop-on-exit stops the builder with the core', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'bb-cli-stop-'));
    const core = transportCore(stateDir);
    const run = recorder();
    const serving = runCli(['--state-dir', stateDir, 'serve', '--stop-on-exit'], run.io, { serve: { createCore: async () => core } });
    try {
      await until(() => run.out.length === 1, 'serve to start');
      run.abort();
      expect(await serving).toBe(0);
      expect(core.closedWith).toEqual([{ stopBuilder: true }]);
    } finally {
      // Serve stopped first: it keeps its lock and socket in the state dir while it runs.
      run.abort();
      await serving.catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

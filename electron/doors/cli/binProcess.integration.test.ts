/**
 * The `builder-bar` executable as a user runs it: separate processes, real signals, real exit
 * codes, the real core with the builder stopped. Runs the built CLI (`out/electron/cli/bin.js`),
 * building it first when the sources are newer.
 */
import { execa, type ResultPromise } from 'execa';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../packageRoot.js';

const root = packageRoot();
const bin = path.join(root, 'out', 'electron', 'cli', 'bin.js');
const servingLine = /^Builder Bar is serving on http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

type ServeProcess = ResultPromise<{ env: NodeJS.ProcessEnv; reject: false; buffer: true }>;

describe('the builder-bar executable', () => {
  let stateDir: string;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, BUILDER_BAR_HOME: stateDir });

  function cli(...argv: string[]) {
    return execa(process.execPath, [bin, ...argv], { env: env(), reject: false, timeout: 60_000 });
  }

  function startServe(): { child: ServeProcess; line: Promise<string> } {
    const child = execa(process.execPath, [bin, 'serve', '--profile', 'linux-test'], { env: env(), reject: false, buffer: true });
    const line = new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        const newline = text.indexOf('\n');
        if (newline !== -1) resolve(text.slice(0, newline));
      });
      child.then((result) => reject(new Error(`serve exited (${result.exitCode}) before printing: ${result.stderr}`)), reject);
    });
    return { child, line };
  }

  beforeAll(async () => {
    if (!existsSync(bin) || statSync(bin).mtimeMs < newestSource(path.join(root, 'electron'))) {
      // tsc emits even when some file has a type error; `npm run typecheck` is where those fail.
      await execa(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json')], { cwd: root, reject: false });
    }
    if (!existsSync(bin)) throw new Error(`${bin} was not built; run npm run build:node and look at its errors.`);
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'bb-bin-'));
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('exits 3 with advice when no core runs', async () => {
    const result = await cli('status');
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(`No Builder Bar core is running for ${stateDir}. Start one with: builder-bar serve (or npm start)`);
  });

  it('says a socket this user may not reach is not theirs to use, not that Builder Bar is not running (CLI and on-demand proxy)', async () => {
    // A core of another user: the state dir is 0700 and root's, the caller is nobody (as root), or
    // the socket is closed to its own owner (as a user), so connect() fails with EACCES.
    const otherUsers = mkdtempSync(path.join(os.tmpdir(), 'bb-bin-other-'));
    const socketPath = path.join(otherUsers, 'core.sock');
    const core = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => core.listen(socketPath, resolve));
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) chmodSync(socketPath, 0o000);
    try {
      for (const command of ['status', 'proxy']) {
        const result = await execa(process.execPath, [bin, command], {
          env: { ...process.env, BUILDER_BAR_HOME: otherUsers },
          reject: false,
          timeout: 60_000,
          stdin: 'ignore',
          ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
        });
        expect(result.exitCode, result.stderr).toBe(1);
        expect(result.stderr).toContain(`Permission denied reaching the Builder Bar core's socket ${socketPath}`);
        expect(result.stderr).toContain('sudo chown -R');
        expect(result.stderr).not.toContain('not running');
        expect(result.stdout).toBe('');
      }
    } finally {
      await new Promise<void>((resolve) => core.close(() => resolve()));
      rmSync(otherUsers, { recursive: true, force: true });
    }
  });

  it('serves, refuses a second serve, answers the CLI, and stops cleanly on SIGTERM', async () => {
    const first = startServe();
    try {
      expect(await first.line).toMatch(servingLine);

      const second = await cli('serve');
      expect(second.exitCode).toBe(1);
      expect(second.stderr).toBe(
        `Builder Bar is already running for ${stateDir} (pid ${first.child.pid}): its core answers on ${path.join(stateDir, 'core.sock')}. ` +
        `Use it ("builder-bar --state-dir ${stateDir} status" talks to it), or quit it first (Quit in its menu, or Ctrl-C where "builder-bar serve" runs); ` +
        'a second Builder Bar needs another --state-dir.',
      );

      const status = await cli('status', '--json');
      expect(status.exitCode).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ state: 'stopped' });

      const refused = await cli('settings', 'set', 'cpus=0');
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toContain('cpus');
    } finally {
      first.child.kill('SIGTERM');
    }
    const result = await first.child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(stateDir, 'core.lock'))).toBe(false);
    expect(existsSync(path.join(stateDir, 'core.sock'))).toBe(false);
  });

  it('takes over the state dir after a core was killed with -9', async () => {
    const killed = startServe();
    await killed.line;
    killed.child.kill('SIGKILL');
    await killed.child;
    expect(existsSync(path.join(stateDir, 'core.lock'))).toBe(true);
    expect((await cli('status')).exitCode).toBe(3);

    const next = startServe();
    try {
      expect(await next.line).toMatch(servingLine);
      expect((await cli('status', '--json')).exitCode).toBe(0);
    } finally {
      next.child.kill('SIGINT');
    }
    expect((await next.child).exitCode).toBe(0);
  });

  it('ends quietly when its reader stops reading (status | head -1, logs --follow | grep -m1)', async () => {
    const serving = startServe();
    try {
      await serving.line;
      // The read end is closed before the command writes: its next write fails with EPIPE.
      const closedEarly = (...argv: string[]) => {
        const child = execa(process.execPath, [bin, ...argv], { env: env(), reject: false, timeout: 30_000, stdout: 'pipe' });
        child.stdout.destroy();
        return child;
      };
      const status = await closedEarly('status');
      expect(status.stderr).not.toMatch(/EPIPE|node:|at /);
      expect(status.exitCode).toBe(0);
      // Following never ends by itself: only the closed pipe ends it, before the timeout.
      const follow = await closedEarly('logs', '--follow');
      expect(follow.timedOut).toBe(false);
      expect(follow.stderr).not.toMatch(/EPIPE|node:|at /);
    } finally {
      serving.child.kill('SIGTERM');
    }
    expect((await serving.child).exitCode).toBe(0);
  });
});

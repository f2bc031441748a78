/**
 * Starting a core (`serve`, the app) beside a core.lock: what is taken over, and what a refusal
 * says. An older lock (no recorded start) naming pid 1 used to refuse every start for good with
 * "already running (pid 1)" and no way out; a refusal must now always name the way out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statePaths } from '../core/paths.js';
import { STATE_DIR_MARKER } from '../core/stateDir.js';
import { processStartOf } from './instanceLock.js';
import { AlreadyRunningError, startOwnedCore, type OwnedCore } from './ownedCore.js';
import { transportCore } from './testing/transportCore.js';

let stateDir: string;
let owned: OwnedCore | null;
const children: ChildProcess[] = [];
const servers: net.Server[] = [];

beforeEach(() => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'bb-lock-refusal-'));
  writeFileSync(path.join(stateDir, STATE_DIR_MARKER), '');
  owned = null;
});
afterEach(async () => {
  await owned?.close({ stopBuilder: false });
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(stateDir, { recursive: true, force: true });
});

const paths = (): ReturnType<typeof statePaths> => statePaths({ stateDir });
const start = (): Promise<OwnedCore> => startOwnedCore({ stateDir, env: {}, createCore: async () => transportCore(stateDir) });

async function idleNode(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child;
}

describe('a core starting beside a core.lock', () => {
  it('takes over an older lock naming pid 1, whose executable cannot be read, when no core holds the socket', async () => {
    writeFileSync(paths().lockFile, JSON.stringify({ pid: 1, execPath: process.execPath, startedAt: 1 }));
    owned = await start();
    expect(JSON.parse(readFileSync(paths().lockFile, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('refuses beside an owner that does not answer, saying it may be starting or stuck, how to end it, and which lock to delete', async () => {
    // A live process that is provably the lock's owner (its start matches): a core still starting.
    const holder = await idleNode();
    const processStart = await processStartOf(holder.pid!);
    writeFileSync(paths().lockFile, JSON.stringify({ pid: holder.pid, execPath: process.execPath, startedAt: 2, processStart }));
    const error = await start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlreadyRunningError);
    const { socketPath, lockFile } = paths();
    expect((error as Error).message).toBe(
      `Builder Bar is already running for ${stateDir} (pid ${holder.pid}, in ${lockFile}), but its core does not answer on ${socketPath}: ` +
        `it may still be starting (wait a moment and try again) or be stuck (end it with "kill ${holder.pid}", then start again). ` +
        `If no Builder Bar runs at all, delete ${lockFile} and start again.`,
    );
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: holder.pid });
  });

  it('refuses an older lock while something listens on the socket without answering (a stuck core)', async () => {
    const holder = await idleNode();
    writeFileSync(paths().lockFile, JSON.stringify({ pid: holder.pid, execPath: process.execPath, startedAt: 3 }));
    const stuck = net.createServer((socket) => socket.resume());
    servers.push(stuck);
    await new Promise<void>((resolve) => stuck.listen(paths().socketPath, resolve));
    const error = await start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlreadyRunningError);
    expect((error as Error).message).toContain(`(pid ${holder.pid}, in ${paths().lockFile}), but its core does not answer`);
  });
});

/**
 * `nix.detect` through the core's handler with a real listener on port 31022, the one nixpkgs'
 * and nix-darwin's linux-builder use and Builder Bar's default: when the supervisor says its VM
 * holds the port, there is no warning; when nobody of ours does, the warning stays. Either way
 * this process never connects to it (a builder's sshd would fork and log each connection).
 * Connections are counted where they start, in this process: other programs on a shared
 * machine may connect to 31022 too. Nix's own answers are recorded; the port is looked at for real.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Status } from '../../ipc/contract.js';
import { initialStatus } from '../../ipc/initialStatus.js';
import { statePaths } from '../paths.js';
import { detectNix, LINUX_BUILDER_PORT, realDetectDeps, type DetectDeps } from './detectNix.js';
import { nixHandlers } from './nixHandlers.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../resources/nix/fixtures/${name}`, import.meta.url)), 'utf8');

/** The real machine, except Nix, which answers as the recorded single-user Nix 2.8 does. */
const deps: DetectDeps = {
  ...realDetectDeps(),
  platform: process.platform,
  unixSocketAnswers: async () => false,
  async run(command, args) {
    if (command === 'which') return { exitCode: 0, stdout: '/usr/bin/nix\n', stderr: '' };
    if (args[0] === '--version') return { exitCode: 0, stdout: fixture('version-2.8.txt'), stderr: '' };
    if (args.includes('show-config')) return { exitCode: 0, stdout: fixture('show-config-2.8.json'), stderr: '' };
    return { exitCode: 1, stdout: '', stderr: 'unknown command' };
  },
};

let root: string;
let server: net.Server;
/** TCP connections this process started to port 31022. */
let connections: number;

/** The port a `socket.connect(...)` call aims at, whichever of its argument forms it uses. */
function portOf(args: unknown[]): number | null {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (typeof first === 'number' || typeof first === 'string') return Number(first);
  if (first && typeof first === 'object' && 'port' in first) return Number((first as { port: unknown }).port);
  return null;
}

beforeEach(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-detect-own-'));
  connections = 0;
  const connect = net.Socket.prototype.connect;
  vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    if (portOf(args) === LINUX_BUILDER_PORT) connections += 1;
    return (connect as (...all: unknown[]) => net.Socket).apply(this, args);
  });
  server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`This test needs 127.0.0.1:${LINUX_BUILDER_PORT} free for its own listener (${error.code}); stop whatever holds it and run it again.`)),
    );
    server.listen({ host: '127.0.0.1', port: LINUX_BUILDER_PORT }, () => resolve());
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

function detectWith(status: Status) {
  const handlers = nixHandlers({
    paths: statePaths({ stateDir: root }),
    platform: 'linux',
    logs: { append: () => undefined },
    builder: { status: () => status, start: async () => status },
    detect: (options) => detectNix(deps, options),
  });
  return handlers['nix.detect']({});
}

describe('nix.detect and port 31022', () => {
  it('our own builder ready on 31022 (the supervisor says so): no warning, and no connection reaches it', async () => {
    const ours: Status = { ...initialStatus('linux-test', 1), state: 'ready', detail: 'ready', pid: 4242, sshPort: LINUX_BUILDER_PORT };
    for (let round = 0; round < 3; round++) {
      const detection = await detectWith(ours);
      expect(detection.problems.map((problem) => problem.code)).not.toContain('port-31022-taken');
    }
    expect(connections).toBe(0);
  });

  it("someone else's listener (our builder stopped): the warning stays, found without connecting", async () => {
    for (let round = 0; round < 3; round++) {
      const detection = await detectWith(initialStatus('linux-test', 1));
      expect(detection.problems.find((problem) => problem.code === 'port-31022-taken')?.message).toContain('Something listens on port 31022');
    }
    expect(connections).toBe(0);
  });
});

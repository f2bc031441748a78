import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { statePaths } from '../../core/paths.js';
import { BuilderBarError } from '../../core/errors.js';
import type { Core } from '../../core/core.js';
import { transportCore } from '../testing/transportCore.js';
import type { CommandContext } from './cliIo.js';
import { ExitCode } from './exitCodes.js';
import { runProxy, type Identity } from './proxyCommand.js';
import { SocketDoor } from '../socket/socketDoor.js';

let stateDir: string;
let err: string[];
let stdout: PassThrough;
let received: string;
let door: SocketDoor | null;
let server: net.Server | null;

function context(values: CommandContext['values'] = {}): CommandContext {
  return {
    io: { out: () => { throw new Error('proxy must never print to stdout'); }, err: (line) => err.push(line), env: {}, signal: new AbortController().signal },
    paths: statePaths({ stateDir }),
    values,
    operands: [],
  };
}

const notRoot: Identity = { uid: () => 501, become: () => { throw new Error('must not change user'); } };

/** A core behind a real socket door, whose hold is `hold`. */
async function coreWith(hold: Core['holdBuilder']): Promise<void> {
  const core = { ...transportCore(stateDir), holdBuilder: hold } as Core;
  door = await SocketDoor.open({ core, socketPath: statePaths({ stateDir }).socketPath });
}

beforeEach(() => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'bb-proxy-'));
  err = [];
  stdout = new PassThrough();
  received = '';
  stdout.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  door = null;
  server = null;
});

afterEach(async () => {
  await door?.close();
  server?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('builder-bar proxy', () => {
  it('with no core: says on stderr how to start Builder Bar, exits 3, writes nothing to stdout', async () => {
    const code = await runProxy(context(), { stdin: new PassThrough(), stdout }, notRoot);
    expect(code).toBe(ExitCode.noCore);
    expect(err).toEqual([
      `builder-bar proxy: Builder Bar is not running (no core answers for ${stateDir}), so it cannot start the Linux builder for this build.`,
      'Open Builder Bar (or run "builder-bar serve" in a terminal), then run the build again.',
    ]);
    expect(received).toBe('');
  });

  it('when the builder cannot start: the reason and the hint, exit 1', async () => {
    await coreWith(() => Promise.reject(new BuilderBarError('vm-failed', 'qemu-system-x86_64 not found', 'Install QEMU.')));
    const code = await runProxy(context(), { stdin: new PassThrough(), stdout }, notRoot);
    expect(code).toBe(ExitCode.failed);
    expect(err).toEqual(['builder-bar proxy: the Linux builder did not start: qemu-system-x86_64 not found', 'Hint: Install QEMU.']);
    expect(received).toBe('');
  });

  it('carries the bytes both ways once the core holds the builder, and the hold ends with the connection', async () => {
    // The "builder": answers in upper case, and closes when its client has finished sending.
    server = net.createServer((socket) => {
      socket.on('data', (chunk: Buffer) => socket.write(chunk.toString('utf8').toUpperCase()));
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    let released = 0;
    await coreWith(async () => ({ sshPort: port, release: () => (released += 1) }));
    const stdin = new PassThrough();
    const running = runProxy(context(), { stdin, stdout }, notRoot);
    stdin.write('ssh-2.0 hello\n');
    await vi.waitFor(() => expect(received).toBe('SSH-2.0 HELLO\n'));
    stdin.end();
    expect(await running).toBe(ExitCode.ok);
    expect(err).toEqual([]);
    await vi.waitFor(() => expect(released).toBe(1));
  });

  it('as root with --uid: becomes the state dir owner first, and refuses a state dir of another user', async () => {
    const owner = statSync(stateDir);
    const become = vi.fn();
    const root: Identity = { uid: () => 0, become };
    expect(await runProxy(context({ uid: owner.uid + 1 }), { stdin: new PassThrough(), stdout }, root)).toBe(ExitCode.failed);
    expect(become).not.toHaveBeenCalled();
    expect(err[0]).toBe(`builder-bar proxy: ${stateDir} is not a directory of user ${owner.uid + 1}; refusing to connect as root.`);
    err = [];
    // Its own state dir: it changes user, then finds no core (none runs here).
    expect(await runProxy(context({ uid: owner.uid }), { stdin: new PassThrough(), stdout }, root)).toBe(ExitCode.noCore);
    expect(become).toHaveBeenCalledWith(owner.uid, owner.gid);
  });
});

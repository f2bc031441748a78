/**
 * A listening door whose server reports an error (an accept libuv did not absorb: EMFILE once its
 * spare descriptor is spent, ENOMEM): without a listener Node throws it and `serve` or the app
 * ends. Here the error is emitted on the server itself (a real EMFILE that libuv passes on cannot
 * be made to happen on demand): the door logs it to the app log and goes on serving.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportUnexpectedErrorsTo } from '../core/util/unexpectedErrors.js';
import { CoreClient } from './cli/socketClient.js';
import { HeadlessDoor } from './headless/headlessDoor.js';
import { keepListeningThroughErrors } from './keepListening.js';
import { SocketDoor } from './socket/socketDoor.js';
import { transportCore } from './testing/transportCore.js';

/** The error Node emits when accept() fails, as net.js makes it. */
function acceptError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`accept ${code}`), { code, errno: -24, syscall: 'accept' });
}

/** The door's listening server: private, reached here only to emit what libuv would report. */
const serverOf = (door: SocketDoor | HeadlessDoor): net.Server => (door as unknown as { server: net.Server }).server;

let dir: string;
let appLog: string[];
let stopLogging: () => void;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-accept-'));
  appLog = [];
  stopLogging = reportUnexpectedErrorsTo((text) => appLog.push(text));
});
afterEach(() => {
  stopLogging();
  rmSync(dir, { recursive: true, force: true });
});

describe('an accept error on a listening door', () => {
  it('the CLI socket: logged to the app log, and the next client is served', async () => {
    const socketPath = path.join(dir, 'core.sock');
    const door = await SocketDoor.open({ core: transportCore(dir), socketPath });
    try {
      expect(() => serverOf(door).emit('error', acceptError('EMFILE'))).not.toThrow();
      expect(appLog).toEqual([`Accepting a connection on the CLI socket ${socketPath} failed: accept EMFILE; it keeps listening for the next one`]);
      const client = await CoreClient.connect(socketPath);
      expect((await client.request('app.info', {})).ok).toBe(true);
      client.close();
    } finally {
      await door.close();
    }
  });

  it('the browser door: logged to the app log, and the next page is served', async () => {
    const door = await HeadlessDoor.open({ core: transportCore(dir), rendererDir: dir });
    try {
      expect(() => serverOf(door).emit('error', acceptError('ENFILE'))).not.toThrow();
      expect(appLog).toEqual([`Accepting a connection on the browser door http://127.0.0.1:${door.port}/ failed: accept ENFILE; it keeps listening for the next one`]);
      const status = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: door.port, path: '/', agent: false }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        }).on('error', reject);
      });
      // No renderer is built in this directory: the door answers, saying so.
      expect(status).toBe(503);
    } finally {
      await door.close();
    }
  });

  it('repeating (libuv retries at once): one line, then at most one a minute counting the rest', () => {
    let clock = 0;
    const lines: string[] = [];
    const server = new http.Server();
    keepListeningThroughErrors(server, 'a door', { now: () => clock, report: (what, error) => lines.push(`${what}: ${(error as Error).message}`) });
    for (let i = 0; i < 1000; i += 1) server.emit('error', acceptError('EMFILE'));
    clock = 60_000;
    server.emit('error', acceptError('EMFILE'));
    expect(lines).toEqual([
      'Accepting a connection on a door: accept EMFILE; it keeps listening for the next one',
      'Accepting a connection on a door: accept EMFILE (999 more like it since the last report); it keeps listening for the next one',
    ]);
  });
});

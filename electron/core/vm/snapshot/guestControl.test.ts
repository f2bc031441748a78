/**
 * The host's end of the control port against a peer that speaks the guest's side of it as
 * resources/guest's boot and control scripts do (one line in, one line out), including a guest
 * that misses the first `go` (a read cut short) and one that is not at its snapshot line yet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuestControl, GuestControlError } from './guestControl.js';

let dir: string;
let server: net.Server;
let received: string[];
/** What the peer answers to a line; null: nothing. */
let answer: (line: string, count: number) => string | null;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-control-'));
  received = [];
  server = net.createServer((socket) => {
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        received.push(line);
        const reply = answer(line, received.length);
        if (reply !== null) socket.write(`${reply}\n`);
        newline = buffer.indexOf('\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path.join(dir, 'control.sock'), () => resolve()));
});

afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const connect = (): Promise<GuestControl> => GuestControl.connect(path.join(dir, 'control.sock'), { timeoutMs: 2_000 });

describe('the control port, host side', () => {
  it('asks until the guest stands at its snapshot line', async () => {
    answer = (line, count) => (line === 'hello' && count >= 3 ? 'waiting' : null);
    const control = await connect();
    await control.waitAtSnapshotLine({ timeoutMs: 10_000 });
    expect(received).toEqual(['hello', 'hello', 'hello']);
    control.close();
  });

  it('sends go with the marker and the host\'s rounded seconds, again when the first is not answered', async () => {
    answer = (line, count) => (count >= 2 && line.startsWith('go ') ? `going ${line.split(' ')[1]}` : null);
    const control = await connect();
    await control.go('builder-bar-boot-abcdef012345', () => 1_700_000_000_600, { timeoutMs: 10_000 });
    expect(received).toEqual(['go builder-bar-boot-abcdef012345 1700000001', 'go builder-bar-boot-abcdef012345 1700000001']);
    control.close();
  });

  it('ignores an answer with another marker, and gives up at the deadline', async () => {
    answer = () => 'going builder-bar-boot-someoneelse';
    const control = await connect();
    await expect(control.go('builder-bar-boot-abcdef012345', Date.now, { timeoutMs: 2_500 })).rejects.toThrow(GuestControlError);
    control.close();
  });

  it('refuses a marker the guest would refuse, and a line with a line break', async () => {
    answer = () => null;
    const control = await connect();
    await expect(control.go('bad marker', Date.now, { timeoutMs: 1_000 })).rejects.toThrow(/boot marker/);
    expect(() => control.send('time 1\ngo x')).toThrow(/line break/);
    expect(received).toEqual([]);
    control.close();
  });

  it('sets the clock as the host\'s second turns, and waits for the guest to confirm it', async () => {
    answer = (line) => (line.startsWith('time ') ? `time-set ${line.split(' ')[1]}` : null);
    const control = await connect();
    // 0.9 s into a second: it waits for the turn, then sends the second the host is in by then.
    const readings = [1_700_000_000_900, 1_700_000_001_002];
    await control.setClock(() => readings.shift() ?? 0, { timeoutMs: 5_000 });
    expect(readings).toEqual([]);
    expect(received).toEqual(['time 1700000001']);
    control.close();
  });

  it('says so when no guest port is there to connect to', async () => {
    await expect(GuestControl.connect(path.join(dir, 'nothing.sock'), { timeoutMs: 300 })).rejects.toThrow(/Could not connect to the guest's control port/);
  });
});

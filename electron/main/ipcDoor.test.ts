import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stoppedStatus, transportCore, type TransportCore } from '../doors/testing/transportCore.js';
import { ipcChannels, type Envelope } from '../ipc/contract.js';
import { logFrameBytes } from '../doors/logFrameBytes.js';
import { logFrameLines, unpackLogFrame } from '../ipc/logFrame.js';
import { openIpcDoor, type EventTarget, type InvokeEventLike, type IpcMainLike } from './ipcDoor.js';

/** Stand-in for Electron's ipcMain: the Electron API boundary is the one place fakes are used. */
class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  invoke(event: InvokeEventLike, ...args: unknown[]): Promise<Envelope<unknown>> {
    const handler = this.handlers.get(ipcChannels.request);
    if (!handler) throw new Error('No handler registered');
    return handler(event, ...args) as Promise<Envelope<unknown>>;
  }
}

class FakeWebContents implements EventTarget {
  readonly sent: unknown[][] = [];
  destroyed = false;
  constructor(readonly id: number) {}
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }
}

const pages = ['/app/out/renderer/index.html', '/app/out/renderer/logs.html'];

function eventFrom(id: number, url: string | null, parent: unknown = null): InvokeEventLike {
  return { sender: { id }, senderFrame: url === null ? null : { url, parent } };
}

describe('Electron IPC door', () => {
  let workDir: string;
  let core: TransportCore;
  let ipcMain: FakeIpcMain;
  let dashboard: FakeWebContents;
  let logs: FakeWebContents;
  let refusals: string[];
  let close: () => void;

  beforeEach(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'bb-ipc-door-'));
    core = transportCore(workDir);
    ipcMain = new FakeIpcMain();
    dashboard = new FakeWebContents(1);
    logs = new FakeWebContents(2);
    refusals = [];
    close = openIpcDoor({
      ipcMain,
      core,
      windows: () => [dashboard, logs],
      rendererPages: pages,
      onRefused: (reason) => refusals.push(reason),
    }).close;
  });

  afterEach(async () => {
    close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('answers our page with the core reply, marked as the electron door', async () => {
    const reply = await ipcMain.invoke(eventFrom(1, pathToFileURL(pages[0]!).href), 'app.info', {});
    expect(reply).toMatchObject({ ok: true, value: { door: 'electron' } });
    expect(core.received).toEqual([{ name: 'app.info', input: {}, door: 'electron' }]);
  });

  it('treats a missing input as empty, so `getStatus()` works', async () => {
    const reply = await ipcMain.invoke(eventFrom(2, pathToFileURL(pages[1]!).href), 'status.get', undefined);
    expect(reply).toEqual({ ok: true, value: stoppedStatus });
  });

  it('refuses a sender that is not our page before the core sees anything', async () => {
    for (const event of [
      eventFrom(1, 'https://evil.example/'),
      eventFrom(9, pathToFileURL(pages[0]!).href),
      eventFrom(1, pathToFileURL(pages[0]!).href, { url: 'parent' }),
      eventFrom(1, null),
    ]) {
      const reply = await ipcMain.invoke(event, 'vm.stop', { force: true });
      expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    }
    expect(core.received).toEqual([]);
    expect(refusals).toHaveLength(4);
    expect(refusals[0]).toContain('https://evil.example/');
  });

  it('validates input against the contract', async () => {
    const reply = await ipcMain.invoke(eventFrom(1, pathToFileURL(pages[0]!).href), 'vm.start', { wait: 'yes' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    const unknown = await ipcMain.invoke(eventFrom(1, pathToFileURL(pages[0]!).href), 'vm.format-disk', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    expect(core.received).toEqual([]);
  });

  it('forwards every core event to every open window', () => {
    core.emit({ name: 'status', payload: { ...stoppedStatus, state: 'starting' } });
    logs.destroyed = true;
    core.emit({ name: 'logs', payload: { lines: [] } });
    expect(dashboard.sent).toEqual([
      [ipcChannels.event, 'status', { ...stoppedStatus, state: 'starting' }],
      [ipcChannels.event, 'logs', { lines: [] }],
    ]);
    // A closed window is skipped, not sent to (Electron throws on a destroyed webContents).
    expect(logs.sent).toEqual([[ipcChannels.event, 'status', { ...stoppedStatus, state: 'starting' }]]);
  });

  it('sends a log batch as one packed frame, and lines it cannot pack as they are', () => {
    const lines = [
      { seq: 7, time: 1_700_000_000_000, source: 'vm-console' as const, level: 'info' as const, text: 'builder-bar: /nix disk mounted' },
      { seq: 8, time: 1_700_000_000_000, source: 'vm-console' as const, level: 'info' as const, text: '\u001b[1mbold\u001b[0m é' },
    ];
    core.emit({ name: 'logs', payload: { lines } });
    const [channel, name, payload] = dashboard.sent[0] as [string, string, { lines: unknown }];
    expect([channel, name]).toEqual([ipcChannels.event, 'logs']);
    expect(payload.lines).toBeInstanceOf(Uint8Array);
    // Its own memory, nothing beside it: IPC copies a view's whole buffer (Buffer's shared pool
    // would carry other data along into the window).
    const bytes = payload.lines as Uint8Array;
    expect([bytes.byteOffset, bytes.buffer.byteLength]).toEqual([0, bytes.byteLength]);
    // What reaches the window is what the headless door sends as a binary message.
    expect(Buffer.from(payload.lines as Uint8Array).equals(logFrameBytes(lines)!)).toBe(true);
    expect(logFrameLines(unpackLogFrame(payload.lines as Uint8Array)!)).toEqual(lines);
    // Both windows get the same bytes, packed once.
    expect((logs.sent[0] as unknown[])[2]).toBe(payload);

    const unpackable = [{ ...lines[0]!, text: 'two\nlines' }];
    core.emit({ name: 'logs', payload: { lines: unpackable } });
    expect(dashboard.sent[1]).toEqual([ipcChannels.event, 'logs', { lines: unpackable }]);
  });

  it('closes cleanly: no handler left, no subscription left', () => {
    close();
    expect(ipcMain.handlers.size).toBe(0);
    expect(core.listenerCount).toBe(0);
    // The door can be opened again (a second handle() on the channel would throw otherwise).
    close = openIpcDoor({ ipcMain, core, windows: () => [], rendererPages: pages, onRefused: () => undefined }).close;
    expect(ipcMain.handlers.size).toBe(1);
  });
});

/**
 * A log batch on its way through Electron, as far as it runs without Electron: the door's
 * bytes, IPC's structured clone into the preload, the context bridge's copy into the page
 * (`structuredClone` stands in for both: Electron documents both as copying cloneable types,
 * typed arrays among them), then this adapter. The copies themselves are Electron's and
 * unverified here (README: what is not verified).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBuilderBarApi, type IpcRendererLike } from '../../../electron/preload/builderBarApi.js';
import { logFrameBytes } from '../../../electron/doors/logFrameBytes.js';
import { logFrameLines, type LogFrame } from '../../../electron/ipc/logFrame.js';
import type { ApiEventPayload, BuilderBarApi, LogLine } from './contract.js';
import { unpackingLogFrames } from './electronApi.js';

type Listener = (event: unknown, ...args: unknown[]) => void;

/** Electron's ipcRenderer, delivering what main sent after IPC's structured clone. */
class FakeIpcRenderer implements IpcRendererLike {
  readonly listeners = new Set<Listener>();
  async invoke(): Promise<unknown> {
    return { ok: true, value: null };
  }
  on(_channel: string, listener: Listener): this {
    this.listeners.add(listener);
    return this;
  }
  removeListener(_channel: string, listener: Listener): this {
    this.listeners.delete(listener);
    return this;
  }
  /** As `webContents.send(channel, name, payload)` arrives. */
  deliver(name: string, payload: unknown): void {
    const [clonedName, clonedPayload] = structuredClone([name, payload]);
    for (const listener of this.listeners) listener({}, clonedName, clonedPayload);
  }
}

/** The page's view of the preload's API: every call through the bridge copies its arguments. */
function throughTheBridge(api: BuilderBarApi): BuilderBarApi {
  return {
    ...api,
    on: (event, listener) => api.on(event, (payload) => listener(structuredClone(payload))),
  } as BuilderBarApi;
}

const lines: LogLine[] = [
  { seq: 41, time: 1_700_000_000_000, source: 'build:b-1', level: 'info', text: 'building \u001b[1m/nix/store/…-hello\u001b[0m' },
  { seq: 42, time: 1_700_000_000_000, source: 'build:b-1', level: 'info', text: 'naïve ünïcode ✓' },
  { seq: 43, time: 1_700_000_000_050, source: 'app', level: 'error', text: '' },
];

function pageApi(): { ipc: FakeIpcRenderer; api: BuilderBarApi } {
  const ipc = new FakeIpcRenderer();
  return { ipc, api: unpackingLogFrames(throughTheBridge(createBuilderBarApi(ipc))) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the Electron door in the page', () => {
  it('hands the Logs window the frame main packed, line for line', () => {
    const { ipc, api } = pageApi();
    const received: ApiEventPayload<'logs'>[] = [];
    api.on('logs', (payload) => received.push(payload));
    ipc.deliver('logs', { lines: logFrameBytes(lines) });
    expect(received).toHaveLength(1);
    const batch = received[0]!.lines;
    expect(Array.isArray(batch)).toBe(false);
    const frame = batch as LogFrame;
    expect(frame.texts).toBeInstanceOf(Uint8Array);
    expect(frame.length).toBe(3);
    expect(logFrameLines(frame)).toEqual(lines);
  });

  it('passes lines that came as objects on as they are', () => {
    const { ipc, api } = pageApi();
    const received: ApiEventPayload<'logs'>[] = [];
    api.on('logs', (payload) => received.push(payload));
    const unpackable = [{ ...lines[0]!, text: 'two\nlines' }];
    ipc.deliver('logs', { lines: unpackable });
    expect(received).toEqual([{ lines: unpackable }]);
  });

  it('drops bytes that are not a frame, with a warning, and keeps listening', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { ipc, api } = pageApi();
    const received: ApiEventPayload<'logs'>[] = [];
    api.on('logs', (payload) => received.push(payload));
    ipc.deliver('logs', { lines: new TextEncoder().encode('not a frame') });
    ipc.deliver('logs', { lines: logFrameBytes(lines.slice(0, 1)) });
    expect(warn).toHaveBeenCalledWith('Ignored a log frame this window does not understand.');
    expect(received.map((payload) => logFrameLines(payload.lines as LogFrame))).toEqual([lines.slice(0, 1)]);
  });

  it('leaves other events, the methods and unsubscribing as the preload has them', async () => {
    const { ipc, api } = pageApi();
    const statuses: unknown[] = [];
    const logs: unknown[] = [];
    const stopStatus = api.on('status', (payload) => statuses.push(payload));
    const stopLogs = api.on('logs', (payload) => logs.push(payload));
    ipc.deliver('status', { state: 'stopped' });
    expect(statuses).toEqual([{ state: 'stopped' }]);
    stopStatus();
    stopLogs();
    ipc.deliver('status', { state: 'starting' });
    ipc.deliver('logs', { lines: logFrameBytes(lines) });
    expect(statuses).toHaveLength(1);
    expect(logs).toHaveLength(0);
    expect(ipc.listeners.size).toBe(0);
    await expect(api.getStatus({})).resolves.toEqual({ ok: true, value: null });
  });
});

import { describe, expect, it } from 'vitest';
import { apiMethods, ipcChannels } from '../ipc/contract.js';
import { API_GLOBAL_NAME, exposeBuilderBarApi, type IpcRendererLike } from './builderBarApi.js';

type Listener = (event: unknown, ...args: unknown[]) => void;

/** Stand-ins for Electron's ipcRenderer and contextBridge (the Electron API boundary). */
class FakeIpcRenderer implements IpcRendererLike {
  readonly invoked: unknown[][] = [];
  readonly listeners = new Map<string, Set<Listener>>();
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push([channel, ...args]);
    return { ok: true, value: `answer to ${String(args[0])}` };
  }
  on(channel: string, listener: Listener): this {
    if (!this.listeners.has(channel)) this.listeners.set(channel, new Set());
    this.listeners.get(channel)!.add(listener);
    return this;
  }
  removeListener(channel: string, listener: Listener): this {
    this.listeners.get(channel)?.delete(listener);
    return this;
  }
  emit(channel: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(channel) ?? []) listener({ sender: 'ipc internals' }, ...args);
  }
}

function exposed(): { api: Record<string, unknown>; key: string; ipc: FakeIpcRenderer } {
  const ipc = new FakeIpcRenderer();
  let key = '';
  let api: Record<string, unknown> = {};
  exposeBuilderBarApi({ exposeInMainWorld: (name, value) => ((key = name), (api = value as Record<string, unknown>)) }, ipc);
  return { api, key, ipc };
}

describe('window.builderBar', () => {
  it('is exposed under builderBar with exactly the named methods and on()', () => {
    const { api, key } = exposed();
    expect(key).toBe(API_GLOBAL_NAME);
    expect(Object.keys(api).sort()).toEqual([...Object.keys(apiMethods), 'on'].sort());
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
    // Nothing of Electron leaks through: no ipcRenderer, no invoke, no send.
    expect(api).not.toHaveProperty('ipcRenderer');
    expect(api).not.toHaveProperty('invoke');
    expect(api).not.toHaveProperty('send');
  });

  it('sends each method as its contract request on the request channel', async () => {
    const { api, ipc } = exposed();
    const startBuilder = api.startBuilder as (input: unknown) => Promise<unknown>;
    await expect(startBuilder({ wait: true })).resolves.toEqual({ ok: true, value: 'answer to vm.start' });
    await (api.getStatus as () => Promise<unknown>)();
    expect(ipc.invoked).toEqual([
      [ipcChannels.request, 'vm.start', { wait: true }],
      [ipcChannels.request, 'status.get', {}],
    ]);
  });

  it('maps every named method to its request', async () => {
    const { api, ipc } = exposed();
    for (const [method, request] of Object.entries(apiMethods)) {
      await (api[method] as (input: unknown) => Promise<unknown>)({});
      expect(ipc.invoked.at(-1)).toEqual([ipcChannels.request, request, {}]);
    }
  });

  it('delivers only the subscribed event, without the IPC event object, until unsubscribed', () => {
    const { api, ipc } = exposed();
    const on = api.on as (event: string, cb: (...args: unknown[]) => void) => () => void;
    const received: unknown[][] = [];
    const unsubscribe = on('status', (...args) => received.push(args));
    ipc.emit(ipcChannels.event, 'status', { state: 'ready' });
    ipc.emit(ipcChannels.event, 'logs', { lines: [] });
    unsubscribe();
    ipc.emit(ipcChannels.event, 'status', { state: 'stopped' });
    expect(received).toEqual([[{ state: 'ready' }]]);
    expect(ipc.listeners.get(ipcChannels.event)?.size).toBe(0);
    unsubscribe(); // a second call is harmless
  });

  it('refuses to subscribe to an event the contract does not name', () => {
    const { api, ipc } = exposed();
    const on = api.on as (event: string, cb: () => void) => () => void;
    expect(() => on('ipc-internal', () => undefined)).toThrow(/Unknown Builder Bar event/);
    expect(() => on('__proto__', () => undefined)).toThrow(/Unknown Builder Bar event/);
    expect(ipc.listeners.size).toBe(0);
  });
});

/**
 * The object the preload exposes as `window.builderBar`: one small named method per request of
 * the contract (as Podman Desktop's preload does) and `on(event, cb)`. The renderer never sees
 * `ipcRenderer` or a channel name, so a compromised page can reach the core only through these
 * calls, each validated again by the main process.
 *
 * Built from narrow interfaces instead of `electron` itself, so a plain Node test can hand it
 * a stand-in `ipcRenderer` and check the exposed surface exactly.
 */
// Names come from the zod-free half of the contract, so the sandboxed preload stays small.
import type { BuilderBarApi, EventName, EventPayload } from '../ipc/contract.js';
import { apiMethods, ipcChannels, isEventName, type ApiMethodName } from '../ipc/names.js';

/** The part of Electron's `ipcRenderer` the preload uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** The part of Electron's `contextBridge` the preload uses. */
export interface ContextBridgeLike {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

/** The global name the renderer finds the API under. */
export const API_GLOBAL_NAME = 'builderBar';

export function createBuilderBarApi(ipcRenderer: IpcRendererLike): BuilderBarApi {
  const methods: Record<string, (input?: unknown) => Promise<unknown>> = {};
  for (const method of Object.keys(apiMethods) as ApiMethodName[]) {
    const requestName = apiMethods[method];
    // `?? {}` lets the renderer call `getStatus()` with no argument for empty requests.
    methods[method] = (input?: unknown) => ipcRenderer.invoke(ipcChannels.request, requestName, input ?? {});
  }

  function on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    if (!isEventName(event)) {
      throw new TypeError(`Unknown Builder Bar event ${JSON.stringify(event)}.`);
    }
    if (typeof listener !== 'function') {
      throw new TypeError('builderBar.on needs a listener function.');
    }
    // The IPC event object (with `sender`, `ports`) is dropped: handing it to the page would
    // give it a path back to ipcRenderer.
    const forward = (_event: unknown, name: unknown, payload: unknown): void => {
      if (name === event) listener(payload as EventPayload<E>);
    };
    ipcRenderer.on(ipcChannels.event, forward as (event: unknown, ...args: unknown[]) => void);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      ipcRenderer.removeListener(ipcChannels.event, forward as (event: unknown, ...args: unknown[]) => void);
    };
  }

  // Every property is set explicitly above; the cast states the per-method types the loop
  // cannot express (each method's input and output follow from `apiMethods`).
  return { ...methods, on } as unknown as BuilderBarApi;
}

export function exposeBuilderBarApi(contextBridge: ContextBridgeLike, ipcRenderer: IpcRendererLike): void {
  contextBridge.exposeInMainWorld(API_GLOBAL_NAME, createBuilderBarApi(ipcRenderer));
}

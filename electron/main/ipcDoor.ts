/**
 * The Electron IPC door: one `ipcMain.handle` for every request of the contract, one channel
 * for events. Like the other doors it holds no logic: it checks who is asking (`checkSender`),
 * hands the request to `dispatch()` (which validates it against the contract) and forwards
 * every core event to our windows (log batches packed, as bytes).
 *
 * It takes the Electron objects it uses as narrow interfaces, so it runs in a plain Node test
 * with small stand-ins for `ipcMain` and a window's webContents.
 */
import type { Core } from '../core/core.js';
import type { Envelope, LogLine } from '../ipc/contract.js';
import { logFrameBytes } from '../doors/logFrameBytes.js';
import { ipcChannels } from '../ipc/contract.js';
import { describeName, dispatch } from '../doors/dispatch.js';
import { checkSender, type IpcSender } from './senderCheck.js';

/** The part of an `IpcMainInvokeEvent` the door reads. */
export interface InvokeEventLike {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** The part of a window's `webContents` events are sent to. */
export interface EventTarget {
  id: number;
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

export interface IpcDoorOptions {
  ipcMain: IpcMainLike;
  core: Core;
  /** The webContents of the windows open right now (asked on every request and event). */
  windows: () => readonly EventTarget[];
  rendererPages: readonly string[];
  /** Told about refused senders; the app log is where a user (or we) can see an attack or a bug. */
  onRefused: (reason: string) => void;
}

/**
 * A `logs` batch goes to the windows as one packed frame's bytes (doors/logFrameBytes.ts), as
 * the headless door sends it: IPC's structured clone copies bytes in one piece where it would
 * build every line's object and string again in the window, and the Logs window keeps the frame
 * as it came (renderer/src/api/electronApi.ts unpacks it). Lines that cannot be packed go as
 * they are.
 */
function packedLogs(lines: readonly LogLine[]): { lines: Uint8Array | readonly LogLine[] } {
  return { lines: logFrameBytes(lines) ?? lines };
}

export function senderOf(event: InvokeEventLike): IpcSender {
  return {
    webContentsId: event.sender.id,
    frameUrl: event.senderFrame?.url ?? null,
    isMainFrame: event.senderFrame !== null && (event.senderFrame.parent ?? null) === null,
  };
}

export interface IpcDoor {
  close(): void;
}

export function openIpcDoor(options: IpcDoorOptions): IpcDoor {
  const { ipcMain, core } = options;

  ipcMain.handle(ipcChannels.request, async (event, name, input): Promise<Envelope<unknown>> => {
    const verdict = checkSender(senderOf(event), {
      webContentsIds: new Set(options.windows().map((target) => target.id)),
      rendererPages: options.rendererPages,
    });
    if (!verdict.trusted) {
      options.onRefused(`Refused an IPC request ${describeName(name)}: ${verdict.reason}.`);
      // An envelope, not a thrown error: Electron would wrap a throw in its own message and the
      // renderer expects the contract's shape from every door.
      return {
        ok: false,
        error: { code: 'invalid-request', message: 'This page may not talk to Builder Bar.', hint: null },
      };
    }
    return dispatch(core, 'electron', name, input);
  });

  const unsubscribe = core.subscribe((event) => {
    const payload = event.name === 'logs' ? packedLogs(event.payload.lines) : event.payload;
    for (const target of options.windows()) {
      if (!target.isDestroyed()) target.send(ipcChannels.event, event.name, payload);
    }
  });

  return {
    close() {
      unsubscribe();
      ipcMain.removeHandler(ipcChannels.request);
    },
  };
}

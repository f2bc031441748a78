/**
 * The Electron preload's `window.builderBar` as the renderer uses it. The Electron door sends a
 * `logs` batch as one packed frame's bytes (electron/main/ipcDoor.ts), which IPC and the context
 * bridge copy in one piece; here they become the frame the Logs window keeps (logFrame.ts), as
 * the WebSocket client does with a binary message. The preload stays small and passes the bytes
 * on; everything else goes through untouched.
 */
import { unpackLogFrame, type ApiEventPayload, type BuilderBarApi, type EventName, type LogBatch } from './contract.js';

export function unpackingLogFrames(api: BuilderBarApi): BuilderBarApi {
  function on<E extends EventName>(event: E, listener: (payload: ApiEventPayload<E>) => void): () => void {
    if (event !== 'logs') return api.on(event, listener);
    const deliver = listener as (payload: ApiEventPayload<'logs'>) => void;
    return api.on('logs', (payload) => {
      const lines: unknown = payload.lines;
      if (!ArrayBuffer.isView(lines)) {
        deliver(payload);
        return;
      }
      const frame = unpackLogFrame(new Uint8Array(lines.buffer, lines.byteOffset, lines.byteLength));
      if (!frame) {
        console.warn('Ignored a log frame this window does not understand.');
        return;
      }
      deliver({ lines: frame satisfies LogBatch });
    });
  }
  // The bridge's object is frozen: a new one, with every method of the original and this `on`.
  return { ...api, on };
}

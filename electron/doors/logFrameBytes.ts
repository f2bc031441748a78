/**
 * A `logs` batch as the bytes of one packed frame (ipc/logFrame.ts), for the doors that carry
 * bytes: the headless door's binary WebSocket message and the Electron door's IPC event (a
 * Buffer arrives in the window as a Uint8Array). Both windows then keep the frame as it came.
 * Node only (Buffer): the renderer unpacks with `unpackLogFrame`.
 */
import type { LogLine } from '../ipc/contract.js';
import { packLogLines } from '../ipc/logFrame.js';

/** The frame's bytes, or null when the lines cannot be packed (the door then sends them as objects). */
export function logFrameBytes(lines: readonly LogLine[]): Buffer | null {
  const packed = packLogLines(lines);
  if (!packed) return null;
  // Each part turned into bytes on its own: joined into one string first, V8 would copy the
  // rope again before it could count the bytes (logFrame.ts).
  const headBytes = Buffer.byteLength(packed.head);
  // Not from Buffer's shared pool: IPC's structured clone copies a view's whole ArrayBuffer, so a
  // pooled frame would carry whatever else the pool's 8 KiB slab holds into the window. Every
  // byte is written below.
  const frame = Buffer.allocUnsafeSlow(headBytes + Buffer.byteLength(packed.texts));
  frame.write(packed.head, 0);
  frame.write(packed.texts, headBytes);
  return frame;
}

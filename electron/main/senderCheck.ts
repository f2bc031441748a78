/**
 * Who may talk to the core over Electron IPC. Electron's own security checklist asks every
 * `ipcMain.handle` to validate the sender: any frame that ends up in a webContents (an iframe,
 * a page reached by a navigation bug) could otherwise call the core. A request is trusted only
 * when it comes from the main frame of one of our own windows and that frame shows one of our
 * own renderer files.
 */
import { isRendererPage } from './windowOptions.js';

export interface IpcSender {
  /** `event.sender.id`: which webContents sent it. */
  webContentsId: number;
  /** `event.senderFrame?.url`; null when the frame is gone (navigated away or destroyed). */
  frameUrl: string | null;
  /** The sending frame is the top frame of its page (`senderFrame.parent === null`). */
  isMainFrame: boolean;
}

export interface TrustedOrigins {
  /** webContents ids of the windows this shell created and still has open. */
  webContentsIds: ReadonlySet<number>;
  /** Absolute paths of the renderer's built pages. */
  rendererPages: readonly string[];
}

export type SenderVerdict = { trusted: true } | { trusted: false; reason: string };

export function checkSender(sender: IpcSender, origins: TrustedOrigins): SenderVerdict {
  if (!origins.webContentsIds.has(sender.webContentsId)) {
    return { trusted: false, reason: `webContents ${sender.webContentsId} is not a Builder Bar window` };
  }
  if (sender.frameUrl === null) {
    return { trusted: false, reason: 'the sending frame no longer exists' };
  }
  if (!sender.isMainFrame) {
    return { trusted: false, reason: `a subframe (${sender.frameUrl}) may not call the core` };
  }
  if (!isRendererPage(sender.frameUrl, origins.rendererPages)) {
    return { trusted: false, reason: `${sender.frameUrl} is not one of Builder Bar's pages` };
  }
  return { trusted: true };
}

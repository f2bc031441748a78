/**
 * The Dashboard and Logs windows: Electron glue only. One window per kind (opening it again
 * focuses it), created with `secureWindowOptions()`, each locked to the renderer's own files.
 * Security decisions live in windowOptions.ts and are unit-tested there.
 */
import { BrowserWindow, type Session, type WebContents } from 'electron';
import { fragmentToShow, hashForPlace, placeOfUrl, type Place } from '../ipc/places.js';
import type { AppLayout } from './appPolicy.js';
import {
  isAllowedNavigation,
  isPermissionGranted,
  secureWindowOptions,
  windowKindForOpen,
  withContentSecurityPolicy,
  type WindowKind,
} from './windowOptions.js';

export interface WindowManagerOptions {
  layout: AppLayout;
  /** Called after a window opened or closed, with the number open now (drives the Dock icon). */
  onOpenWindowsChanged: (openCount: number) => void;
  /** Told about anything refused (navigation, pop-ups, permissions) for the app log. */
  onRefused: (message: string) => void;
}

export class WindowManager {
  private readonly windows = new Map<WindowKind, BrowserWindow>();
  private readonly hardenedSessions = new WeakSet<Session>();

  constructor(private readonly options: WindowManagerOptions) {}

  /**
   * Shows the window of this kind, creating it if needed. A `place` (the Dashboard's) opens it
   * there, or moves an open one there: the same file loaded with another fragment, which the page
   * takes as a same-document navigation (electron/ipc/places.ts), so nothing typed is lost.
   */
  open(kind: WindowKind, place?: Place): BrowserWindow {
    const existing = this.windows.get(kind);
    if (existing && !existing.isDestroyed()) {
      const fragment = kind === 'dashboard' && place !== undefined ? fragmentToShow(existing.webContents.getURL(), place) : null;
      if (fragment !== null) this.load(existing, kind, fragment);
      if (existing.isMinimized()) existing.restore();
      existing.show();
      existing.focus();
      return existing;
    }
    const window = new BrowserWindow(secureWindowOptions({ kind, preloadPath: this.options.layout.preloadPath }));
    this.hardenSession(window.webContents.session);
    this.hardenContents(window.webContents);
    this.windows.set(kind, window);
    window.once('ready-to-show', () => {
      window.show();
      window.focus();
    });
    window.on('closed', () => {
      if (this.windows.get(kind) === window) this.windows.delete(kind);
      this.options.onOpenWindowsChanged(this.windows.size);
    });
    this.load(window, kind, kind === 'dashboard' && place !== undefined ? hashForPlace(place) : null);
    this.options.onOpenWindowsChanged(this.windows.size);
    return window;
  }

  private load(window: BrowserWindow, kind: WindowKind, fragment: string | null): void {
    const page = this.options.layout.pages[kind];
    void (fragment === null ? window.loadFile(page) : window.loadFile(page, { hash: fragment })).catch((error: unknown) => {
      this.options.onRefused(`Could not load the ${kind} window: ${(error as Error).message}`);
    });
  }

  /** The webContents of every open window: the IPC door's trusted senders and event targets. */
  contents(): WebContents[] {
    return [...this.windows.values()].filter((window) => !window.isDestroyed()).map((window) => window.webContents);
  }

  openKinds(): WindowKind[] {
    return [...this.windows.entries()].filter(([, window]) => !window.isDestroyed()).map(([kind]) => kind);
  }

  closeAll(): void {
    for (const window of this.windows.values()) if (!window.isDestroyed()) window.destroy();
    this.windows.clear();
  }

  private rendererPages(): string[] {
    return Object.values(this.options.layout.pages);
  }

  private hardenContents(contents: WebContents): void {
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(url, this.rendererPages())) {
        event.preventDefault();
        this.options.onRefused(`Refused navigation of a Builder Bar window to ${url}.`);
      }
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAllowedNavigation(url, this.rendererPages())) {
        event.preventDefault();
        this.options.onRefused(`Refused a redirect of a Builder Bar window to ${url}.`);
      }
    });
    contents.setWindowOpenHandler(({ url }) => {
      // Our own page opens in our own window (made with secureWindowOptions); the page never
      // gets a window it controls.
      const kind = windowKindForOpen(url, this.options.layout.pages);
      // A place's link opened "in a new window" (Cmd+click in the sidebar) moves the one Dashboard there.
      if (kind === 'dashboard') this.open(kind, placeOfUrl(url));
      else if (kind) this.open(kind);
      else this.options.onRefused(`Refused to open a new window for ${url}.`);
      return { action: 'deny' };
    });
    // webviewTag is off in the options; this is the second lock on the same door.
    contents.on('will-attach-webview', (event) => {
      event.preventDefault();
      this.options.onRefused('Refused to attach a <webview>.');
    });
  }

  /** Once per session: deny every permission and add the CSP header to every response. */
  private hardenSession(target: Session): void {
    if (this.hardenedSessions.has(target)) return;
    this.hardenedSessions.add(target);
    target.setPermissionRequestHandler((_contents, permission, callback) => {
      const granted = isPermissionGranted(permission);
      if (!granted) this.options.onRefused(`Refused the permission "${permission}".`);
      callback(granted);
    });
    target.setPermissionCheckHandler((_contents, permission) => isPermissionGranted(permission));
    target.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) });
    });
  }
}

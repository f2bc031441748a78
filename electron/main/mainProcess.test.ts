/**
 * The Electron main process (index.ts) wired to the real core, with Electron's API replaced by
 * small stand-ins: the Electron API boundary is the one place fakes are allowed, and Electron's
 * runtime cannot run on the machines this project is tested on. This exercises the glue the
 * pure modules cannot: launch order, the tray, the CLI socket, windows, the IPC door with its
 * sender check, the Dock, power events and a Quit that shuts the core down.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ipcChannels, type Envelope } from '../ipc/contract.js';
import type { ShellTestHook } from './testHook.js';

type Listener = (...args: unknown[]) => unknown;

const fake = vi.hoisted(() => {
  class Emitter {
    private readonly handlers = new Map<string, Listener[]>();
    on(name: string, listener: Listener): this {
      this.handlers.set(name, [...(this.handlers.get(name) ?? []), listener]);
      return this;
    }
    once(name: string, listener: Listener): this {
      const wrapped: Listener = (...args) => {
        this.handlers.set(name, (this.handlers.get(name) ?? []).filter((h) => h !== wrapped));
        return listener(...args);
      };
      return this.on(name, wrapped);
    }
    emit(name: string, ...args: unknown[]): void {
      for (const listener of [...(this.handlers.get(name) ?? [])]) listener(...args);
    }
  }

  const record = {
    appPath: '',
    paths: new Map<string, string>(),
    dock: [] as string[],
    errorBoxes: [] as Array<[string, string]>,
    notifications: [] as Array<{ title: string; body: string }>,
    exits: [] as number[],
    quitCompleted: false,
    /** macOS's login item for the app, as Electron's getLoginItemSettings would report it. */
    loginItem: false,
    loginItemWrites: [] as boolean[],
  };

  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  class PreventableEvent {
    defaultPrevented = false;
    preventDefault(): void {
      this.defaultPrevented = true;
    }
  }

  class FakeApp extends Emitter {
    readonly isPackaged = false;
    readonly dock = {
      show: async () => {
        record.dock.push('show');
      },
      hide: () => {
        record.dock.push('hide');
      },
    };
    whenReady(): Promise<void> {
      return ready;
    }
    requestSingleInstanceLock(): boolean {
      return true;
    }
    setPath(name: string, value: string): void {
      record.paths.set(name, value);
    }
    getAppPath(): string {
      return record.appPath;
    }
    quit(): void {
      const event = new PreventableEvent();
      this.emit('before-quit', event);
      if (!event.defaultPrevented) record.quitCompleted = true;
    }
    exit(code: number): void {
      record.exits.push(code);
    }
    getLoginItemSettings(): { openAtLogin: boolean } {
      return { openAtLogin: record.loginItem };
    }
    setLoginItemSettings(settings: { openAtLogin: boolean }): void {
      record.loginItemWrites.push(settings.openAtLogin);
      record.loginItem = settings.openAtLogin;
    }
  }

  type PermissionRequestHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;
  type PermissionCheckHandler = (contents: unknown, permission: string) => boolean;
  type HeadersHandler = (details: { responseHeaders?: Record<string, string[]> }, callback: (response: unknown) => void) => void;
  const handlersOfSession: {
    permissionRequest: PermissionRequestHandler | null;
    permissionCheck: PermissionCheckHandler | null;
    headers: HeadersHandler | null;
  } = { permissionRequest: null, permissionCheck: null, headers: null };
  const session = {
    handlers: handlersOfSession,
    setPermissionRequestHandler(handler: PermissionRequestHandler) {
      handlersOfSession.permissionRequest = handler;
    },
    setPermissionCheckHandler(handler: PermissionCheckHandler) {
      handlersOfSession.permissionCheck = handler;
    },
    webRequest: {
      onHeadersReceived(handler: HeadersHandler) {
        handlersOfSession.headers = handler;
      },
    },
  };

  let nextContentsId = 1;
  class FakeWebContents extends Emitter {
    readonly id = nextContentsId++;
    readonly session = session;
    readonly sent: unknown[][] = [];
    /** The address the window shows, as Electron's getURL reports it. */
    url = '';
    getURL(): string {
      return this.url;
    }
    openHandler: ((details: { url: string }) => { action: string }) | null = null;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
      this.openHandler = handler;
    }
    send(channel: string, ...args: unknown[]): void {
      this.sent.push([channel, ...args]);
    }
    isDestroyed(): boolean {
      return false;
    }
  }

  class FakeBrowserWindow extends Emitter {
    static readonly all: FakeBrowserWindow[] = [];
    readonly webContents = new FakeWebContents();
    loadedFile: string | null = null;
    /** Every load, with its fragment ('' for none), in order. */
    readonly loads: Array<{ file: string; hash: string }> = [];
    destroyed = false;
    shown = false;
    constructor(readonly options: { webPreferences?: Record<string, unknown>; title?: string; show?: boolean }) {
      super();
      FakeBrowserWindow.all.push(this);
    }
    async loadFile(file: string, options: { hash?: string } = {}): Promise<void> {
      this.loadedFile = file;
      this.loads.push({ file, hash: options.hash ?? '' });
      this.webContents.url = `file://${file}${options.hash ?? ''}`;
      setTimeout(() => this.emit('ready-to-show'), 0);
    }
    isDestroyed(): boolean {
      return this.destroyed;
    }
    isMinimized(): boolean {
      return false;
    }
    restore(): void {}
    show(): void {
      this.shown = true;
    }
    focus(): void {}
    destroy(): void {
      if (this.destroyed) return;
      this.destroyed = true;
      this.emit('closed');
    }
  }

  class FakeTray extends Emitter {
    static readonly all: FakeTray[] = [];
    images: Array<{ path: string; template: boolean }> = [];
    tooltip = '';
    contextMenu: unknown = null;
    destroyed = false;
    constructor(image: { path: string; template: boolean }) {
      super();
      this.images.push(image);
      FakeTray.all.push(this);
    }
    setImage(image: { path: string; template: boolean }): void {
      this.images.push(image);
    }
    setToolTip(text: string): void {
      this.tooltip = text;
    }
    title = '';
    setTitle(text: string): void {
      this.title = text;
    }
    setContextMenu(menu: unknown): void {
      this.contextMenu = menu;
    }
    popUpContextMenu(): void {}
    destroy(): void {
      this.destroyed = true;
    }
  }

  const handlers = new Map<string, Listener>();
  const module = {
    app: new FakeApp(),
    session: { defaultSession: session },
    BrowserWindow: FakeBrowserWindow,
    Tray: FakeTray,
    Menu: {
      buildFromTemplate: (template: Array<{ label?: string; enabled?: boolean; click?: () => void; type?: string }>) => ({
        items: template.map((item) => ({ label: item.label ?? '', enabled: item.enabled ?? true, click: item.click, type: item.type ?? 'normal' })),
      }),
    },
    nativeImage: {
      createFromPath: (file: string) => {
        const image = { path: file, template: false, setTemplateImage: (on: boolean) => void (image.template = on) };
        return image;
      },
    },
    ipcMain: {
      handle: (channel: string, listener: Listener) => {
        if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
        handlers.set(channel, listener);
      },
      removeHandler: (channel: string) => void handlers.delete(channel),
    },
    powerMonitor: new Emitter(),
    dialog: {
      showErrorBox: (title: string, content: string) => void record.errorBoxes.push([title, content]),
    },
    Notification: class {
      static isSupported(): boolean {
        return true;
      }
      constructor(private readonly options: { title: string; body: string }) {}
      show(): void {
        record.notifications.push({ title: this.options.title, body: this.options.body });
      }
    },
  };

  return { module, record, markReady, handlers, session, PreventableEvent, FakeBrowserWindow, FakeTray };
});

vi.mock('electron', () => fake.module);

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dashboardUrl = pathToFileURL(path.join(projectRoot, 'out', 'renderer', 'index.html')).href;

let stateDir: string;
let hook: ShellTestHook;
const savedArgv = process.argv;
const savedEnv = { home: process.env.BUILDER_BAR_HOME, hooks: process.env.BUILDER_BAR_TEST_HOOKS };

function invoke(contentsId: number, frameUrl: string, name: string, input: unknown): Promise<Envelope<unknown>> {
  const handler = fake.handlers.get(ipcChannels.request);
  if (!handler) throw new Error('The IPC door is not open');
  return handler({ sender: { id: contentsId }, senderFrame: { url: frameUrl, parent: null } }, name, input) as Promise<Envelope<unknown>>;
}

/** One request over the CLI socket, as `builder-bar status --json` sends it. */
function askCliSocket(socketPath: string, name: string, input: object = {}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ id: 1, name, input })}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline >= 0) {
        socket.destroy();
        resolve(JSON.parse(buffer.slice(0, newline)));
      }
    });
    socket.on('error', reject);
  });
}

async function until<T>(read: () => T | undefined | null | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value) return value;
    if (fake.record.errorBoxes.length > 0) throw new Error(`The app showed an error: ${fake.record.errorBoxes.join(' / ')}`);
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'bb-main-'));
  process.env.BUILDER_BAR_HOME = stateDir;
  process.env.BUILDER_BAR_TEST_HOOKS = '1';
  fake.record.appPath = projectRoot;
  // Launched as the app is from Finder: no arguments (a word would make it the CLI, cliMode.ts).
  process.argv = [savedArgv[0]!];
  await import('./index.js');
  fake.markReady();
  hook = await until(() => (globalThis as { __builderBarShell?: ShellTestHook }).__builderBarShell, 'the shell to start');
}, 60_000);

afterAll(async () => {
  process.argv = savedArgv;
  if (savedEnv.home === undefined) delete process.env.BUILDER_BAR_HOME;
  else process.env.BUILDER_BAR_HOME = savedEnv.home;
  if (savedEnv.hooks === undefined) delete process.env.BUILDER_BAR_TEST_HOOKS;
  else process.env.BUILDER_BAR_TEST_HOOKS = savedEnv.hooks;
  await rm(stateDir, { recursive: true, force: true });
});

describe('Electron main process', () => {
  it('keeps its Chromium profile in the state dir and starts without a Dock icon', () => {
    expect(fake.record.paths.get('userData')).toBe(path.join(stateDir, 'electron'));
    expect(fake.record.dock[0]).toBe('hide');
  });

  it('shows a stopped builder in the tray with an icon file that exists', () => {
    const tray = fake.FakeTray.all[0]!;
    const image = tray.images.at(-1)!;
    expect(path.basename(image.path)).toBe('tray-stoppedTemplate.png');
    expect(existsSync(image.path)).toBe(true);
    expect(image.template).toBe(true);
    expect(hook.trayState()).toBe('stopped');
    expect(hook.menuLabels()).toEqual([
      'Builder: Stopped',
      '',
      'Start Builder',
      'Stop Builder',
      'Restart Builder',
      'Start When Nix Needs It (On Demand)',
      '',
      'Open Dashboard',
      'Go To',
      'Open Logs',
      '',
      'Open at Login',
      'Start Builder on Launch',
      '',
      'Quit Builder Bar',
    ]);
  });

  it('registers no login item by default, and follows Open at Login from the tray and from any door', async () => {
    expect(fake.record.loginItemWrites).toEqual([]);
    await hook.runTrayAction('toggle-open-at-login');
    await until(() => fake.record.loginItem, 'the login item to be registered');
    const reply = (await askCliSocket(path.join(stateDir, 'core.sock'), 'settings.set', { patch: { openAtLogin: false } })) as { reply: Envelope<unknown> };
    expect(reply.reply).toMatchObject({ ok: true });
    await until(() => !fake.record.loginItem, 'the login item to be removed');
    expect(fake.record.loginItemWrites).toEqual([true, false]);
  });

  it('serves the CLI socket, so `builder-bar status` works against the app', async () => {
    const reply = (await askCliSocket(path.join(stateDir, 'core.sock'), 'status.get')) as { id: number; reply: Envelope<{ state: string }> };
    expect(reply.id).toBe(1);
    expect(reply.reply).toMatchObject({ ok: true, value: { state: 'stopped' } });
  });

  it('opens a sandboxed dashboard from the tray and shows the Dock icon while it is open', async () => {
    await hook.runTrayAction('open-dashboard');
    const window = fake.FakeBrowserWindow.all.at(-1)!;
    expect(window.loadedFile).toBe(path.join(projectRoot, 'out', 'renderer', 'index.html'));
    expect(window.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(window.options.webPreferences?.preload).toBe(path.join(projectRoot, 'out', 'electron', 'preload', 'index.cjs'));
    await until(() => window.shown, 'the window to be shown');
    expect(hook.openWindows()).toEqual(['dashboard']);
    expect(fake.record.dock.at(-1)).toBe('show');
    // Opening it again focuses the same window.
    await hook.runTrayAction('open-dashboard');
    expect(fake.FakeBrowserWindow.all.filter((w) => !w.destroyed)).toHaveLength(1);
  });

  it('moves the open dashboard to the place a tray item names, with the same file and another fragment', async () => {
    const window = fake.FakeBrowserWindow.all.at(-1)!;
    const dashboardFile = path.join(projectRoot, 'out', 'renderer', 'index.html');
    expect(window.loads).toEqual([{ file: dashboardFile, hash: '' }]);
    await hook.runTrayAction('open-builds');
    expect(window.loads.at(-1)).toEqual({ file: dashboardFile, hash: '#place=builds' });
    // Already there: nothing is loaded again (the same address would reload the page).
    await hook.runTrayAction('open-builds');
    await hook.runTrayAction('open-dashboard');
    expect(window.loads).toHaveLength(2);
    // The user moved inside the page (a sidebar click changes only the address's fragment).
    window.webContents.url = `${dashboardUrl}#place=nix`;
    await hook.runTrayAction('open-builder');
    expect(window.loads.at(-1)).toEqual({ file: dashboardFile, hash: '#place=builder' });
    // A place's link opened as a new window (Cmd+click in the sidebar) moves the one dashboard too.
    expect(window.webContents.openHandler?.({ url: `${dashboardUrl}#place=baselines` })).toEqual({ action: 'deny' });
    expect(window.loads.at(-1)).toEqual({ file: dashboardFile, hash: '#place=baselines' });
    expect(fake.FakeBrowserWindow.all.filter((w) => !w.destroyed)).toHaveLength(1);
    expect(hook.openWindows()).toEqual(['dashboard']);
  });

  it('answers the dashboard over IPC as the electron door and refuses anyone else', async () => {
    const window = fake.FakeBrowserWindow.all.at(-1)!;
    const info = await invoke(window.webContents.id, `${dashboardUrl}#/`, 'app.info', {});
    expect(info).toMatchObject({ ok: true, value: { door: 'electron', stateDir } });
    const stranger = await invoke(window.webContents.id, 'https://example.com/', 'vm.stop', { force: true });
    expect(stranger).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    const otherContents = await invoke(9999, dashboardUrl, 'app.info', {});
    expect(otherContents).toMatchObject({ ok: false });
  });

  it('pushes core events to the window', async () => {
    const window = fake.FakeBrowserWindow.all.at(-1)!;
    const reply = await invoke(window.webContents.id, dashboardUrl, 'settings.set', { patch: { startOnLaunch: true } });
    expect(reply).toMatchObject({ ok: true });
    await until(() => window.webContents.sent.some((message) => message[0] === ipcChannels.event && message[1] === 'settings'), 'a settings event');
    await invoke(window.webContents.id, dashboardUrl, 'settings.set', { patch: { startOnLaunch: false } });
  });

  it('locks the window to its own pages and refuses pop-ups and permissions', () => {
    const window = fake.FakeBrowserWindow.all.at(-1)!;
    const away = new fake.PreventableEvent();
    window.webContents.emit('will-navigate', away, 'https://example.com/');
    expect(away.defaultPrevented).toBe(true);
    const reload = new fake.PreventableEvent();
    window.webContents.emit('will-navigate', reload, dashboardUrl);
    expect(reload.defaultPrevented).toBe(false);
    expect(window.webContents.openHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    let granted: boolean | null = null;
    fake.session.handlers.permissionRequest?.(window.webContents, 'media', (answer: boolean) => (granted = answer));
    expect(granted).toBe(false);
    let headers: unknown = null;
    fake.session.handlers.headers?.({ responseHeaders: {} }, (response: unknown) => (headers = response));
    expect(JSON.stringify(headers)).toContain("script-src 'self'");
  });

  it('hides the Dock icon again when the last window closes', () => {
    fake.FakeBrowserWindow.all.at(-1)!.destroy();
    expect(hook.openWindows()).toEqual([]);
    expect(fake.record.dock.at(-1)).toBe('hide');
  });

  it('opens a closed dashboard straight at a place', async () => {
    await hook.runTrayAction('open-settings');
    const window = fake.FakeBrowserWindow.all.at(-1)!;
    expect(window.loads).toEqual([{ file: path.join(projectRoot, 'out', 'renderer', 'index.html'), hash: '#place=settings' }]);
    window.destroy();
  });

  it('answers a second launch by opening the dashboard', async () => {
    fake.module.app.emit('second-instance');
    expect(hook.openWindows()).toEqual(['dashboard']);
    fake.FakeBrowserWindow.all.at(-1)!.destroy();
  });

  it('tells the core when the machine wakes up', async () => {
    const window = fake.FakeBrowserWindow.all.at(-1)!;
    const before = (await invoke(window.webContents.id, dashboardUrl, 'logs.tail', { source: 'app' })) as Envelope<{ lines: unknown[] }>;
    // The window is closed now, so the request must be refused: only open windows may ask.
    expect(before.ok).toBe(false);
    await hook.runTrayAction('open-logs');
    const logs = fake.FakeBrowserWindow.all.at(-1)!;
    const logsUrl = pathToFileURL(path.join(projectRoot, 'out', 'renderer', 'logs.html')).href;
    const count = async (): Promise<number> => {
      const reply = (await invoke(logs.webContents.id, logsUrl, 'logs.tail', { source: 'app', lines: 10_000 })) as Envelope<{ lines: unknown[] }>;
      if (!reply.ok) throw new Error(reply.error.message);
      return reply.value.lines.length;
    };
    const linesBefore = await count();
    fake.module.powerMonitor.emit('resume');
    expect(await count()).toBeGreaterThan(linesBefore);
    logs.destroy();
  });

  it('quits only after shutting the core down and releasing the state dir', async () => {
    expect(existsSync(path.join(stateDir, 'core.lock'))).toBe(true);
    fake.module.app.quit();
    // The first quit is held back while the core stops.
    expect(fake.record.quitCompleted).toBe(false);
    await until(() => fake.record.quitCompleted, 'the app to quit', 60_000);
    expect(existsSync(path.join(stateDir, 'core.lock'))).toBe(false);
    expect(existsSync(path.join(stateDir, 'core.sock'))).toBe(false);
    expect(fake.FakeTray.all[0]!.destroyed).toBe(true);
    expect(fake.handlers.size).toBe(0);
    expect(fake.record.exits).toEqual([]);
  }, 70_000);
});

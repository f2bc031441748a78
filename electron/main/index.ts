/**
 * Builder Bar's Electron main process: the glue between Electron and the core. Every decision
 * is made in a pure, unit-tested function (menuModel, trayRouting, trayIcon, windowOptions, senderCheck,
 * appPolicy); this file only wires them to Electron's objects, in this order:
 *
 *   single-instance lock -> startOwnedCore() (state-dir lock -> createCore() -> CLI socket door,
 *   the same bootstrap as `serve`) -> IPC door
 *   -> tray -> powerMonitor; "Quit" stops the builder gracefully before the process exits.
 *
 * "Start on launch" is honoured by `createCore()` itself (the headless `serve` needs it too),
 * so it is not repeated here. "Open at Login" is the shell's: macOS's login item follows the
 * `openAtLogin` setting (loginItem.ts) at start and after every saved change.
 */
// First: keeps V8's young generation small in a process that idles for days.
import '../core/util/smallYoungGeneration.js';
import { app, dialog, ipcMain, Notification, powerMonitor, shell as electronShell } from 'electron';
import type { Core } from '../core/core.js';
import { guardProcess } from '../core/util/unexpectedErrors.js';
import { AlreadyRunningError, startOwnedCore, type OwnedCore } from '../doors/ownedCore.js';
import type { Envelope, Settings, SettingsEffects } from '../ipc/contract.js';
import { dispatch } from '../doors/dispatch.js';
import { main as cliMain } from '../doors/cli/main.js';
import { buildEndedNotice, runningAfter } from './buildActivity.js';
import { cliArguments } from './cliMode.js';
import { installCliLink } from './cliLink.js';
import { macAdminRunner } from '../core/nix/macAdminRunner.js';
import { appLayout, dockVisibility, secondInstanceWindow, userDataDirFor } from './appPolicy.js';
import { openIpcDoor, type IpcDoor } from './ipcDoor.js';
import { electronLoginItem, loginItemFollower } from './loginItem.js';
import type { TrayAction } from './menuModel.js';
import { startFailureBox } from './startFailure.js';
import { requestNotice, routeTrayAction, toggleNotice, type Notice } from './trayRouting.js';
import { installTestHook } from './testHook.js';
import { TrayController } from './tray.js';
import { WindowManager } from './windows.js';

/**
 * How long Quit waits for the builder to stop before exiting anyway. The supervisor escalates
 * from a graceful powerdown to a kill on its own; this is only the ceiling against a hang, so
 * the app can always be quit. A builder left running is adopted by the next start.
 */
const QUIT_CEILING_MS = 90_000;

type QuitPhase = 'running' | 'stopping' | 'done';

interface Shell {
  core: Core;
  owned: OwnedCore;
  ipcDoor: IpcDoor;
  tray: TrayController;
  windows: WindowManager;
}

let quitPhase: QuitPhase = 'running';
let shell: Shell | null = null;
let dockShown: boolean | null = null;

function warn(message: string): void {
  // The Core interface offers no log call; stderr reaches the terminal in development and the
  // unified log on macOS. (Refusals are rare and worth seeing.)
  console.warn(`[builder-bar] ${message}`);
}

function applyDock(openWindowCount: number): void {
  if (!app.dock) return; // not macOS
  if (dockVisibility(openWindowCount) === 'show') {
    app.dock.show().catch((error: unknown) => warn(`Could not show the Dock icon: ${(error as Error).message}`));
    dockShown = true;
  } else {
    app.dock.hide();
    dockShown = false;
  }
}

/** A refused Start/Stop must not vanish silently when no window is open to show it. */
function notify(notice: Notice | null): void {
  if (notice && Notification.isSupported()) new Notification({ title: notice.title, body: notice.body, silent: true }).show();
}

/** Carries out what trayRouting.ts says a tray item does. */
async function runTrayAction(action: TrayAction): Promise<void> {
  if (!shell) return;
  const route = routeTrayAction(action);
  switch (route.kind) {
    case 'open':
      if (route.page === 'dashboard') shell.windows.open(route.page, route.place);
      else shell.windows.open(route.page);
      return;
    case 'quit':
      app.quit();
      return;
    case 'install-cli': {
      // The packaged app's executable is the CLI (cliMode.ts); the password prompt only when
      // /usr/local/bin is not the user's.
      const outcome = await installCliLink({ executable: process.execPath, runner: macAdminRunner });
      notify({ title: outcome.ok ? 'Command line tool' : 'Could not install the command line tool', body: outcome.message });
      return;
    }
    case 'toggle': {
      // Flips the saved value, not the menu's: another door may have changed it since.
      const current = await shell.core.handle('settings.get', {}, 'electron');
      const reply = await dispatch(shell.core, 'electron', 'settings.set', { patch: { [route.setting]: !current[route.setting] } });
      notify(toggleNotice(route.setting, reply as Envelope<{ settings: Settings; effects: SettingsEffects }>));
      return;
    }
    case 'request':
      notify(requestNotice(route.failure, await dispatch(shell.core, 'electron', route.name, route.input)));
  }
}

/** Prebuild from the tray's Baselines submenu; a refusal is told, since no window may be open. */
async function runTrayPrebuild(repoId: string, branch: string): Promise<void> {
  if (!shell) return;
  notify(requestNotice('Could not prebuild the baseline', await dispatch(shell.core, 'electron', 'baselines.prebuild', { repoId, branch })));
}

async function startShell(): Promise<Shell | null> {
  // The same bootstrap as `builder-bar serve` (doors/ownedCore.ts): the state dir's lock (one
  // core per state dir: a serve or another app owning it would fight this one over the VM),
  // the core, the CLI socket; a failure half-way undoes what was done.
  let owned: OwnedCore;
  try {
    owned = await startOwnedCore({
      env: process.env,
      // Electron's own file manager call; the core only knows the FileRevealer interface.
      fileRevealer: { reveal: async (file) => electronShell.showItemInFolder(file) },
      onSocketRefused: (error) => warn(`The CLI socket could not be opened; the app works, \`builder-bar\` commands will not: ${error.message}`),
    });
  } catch (error) {
    if (!(error instanceof AlreadyRunningError)) throw error;
    const box = startFailureBox(error);
    dialog.showErrorBox(box.title, box.content);
    return null;
  }
  const { core } = owned;

  const layout = appLayout({ appPath: app.getAppPath(), resourcesPath: process.resourcesPath, packaged: app.isPackaged });
  const windows = new WindowManager({ layout, onOpenWindowsChanged: applyDock, onRefused: warn });
  const ipcDoor = openIpcDoor({
    ipcMain,
    core,
    windows: () => windows.contents(),
    rendererPages: Object.values(layout.pages),
    onRefused: warn,
  });

  const [status, settings, baselines] = await Promise.all([
    core.handle('status.get', {}, 'electron'),
    core.handle('settings.get', {}, 'electron'),
    core.handle('baselines.list', {}, 'electron'),
  ]);
  const tray = new TrayController({
    iconsDir: layout.iconsDir,
    platform: process.platform,
    initialStatus: status,
    initialSettings: settings,
    offerCliInstall: process.platform === 'darwin' && app.isPackaged,
    onAction: (action) => void runTrayAction(action).catch((error: unknown) => warn(`Tray action ${action} failed: ${(error as Error).message}`)),
    onPrebuild: (repoId, branch) =>
      void runTrayPrebuild(repoId, branch).catch((error: unknown) => warn(`Prebuild from the tray failed: ${(error as Error).message}`)),
  });
  tray.updateBaselines(baselines.repos);
  const followLoginItem = loginItemFollower(electronLoginItem(app), (level, text) => (level === 'warn' ? warn(text) : console.info(`[builder-bar] ${text}`)));
  followLoginItem(settings);
  let runningBuilds = new Set<string>();
  core.subscribe((event) => {
    if (event.name === 'status') tray.updateStatus(event.payload);
    else if (event.name === 'settings') {
      tray.updateSettings(event.payload);
      followLoginItem(event.payload);
    }
    else if (event.name === 'baselines') tray.updateBaselines(event.payload.repos);
    else if (event.name === 'build') {
      const notice = buildEndedNotice(runningBuilds.has(event.payload.id), event.payload);
      runningBuilds = runningAfter(runningBuilds, event.payload);
      tray.updateRunningBuilds(runningBuilds.size);
      notify(notice);
    }
  });

  powerMonitor.on('suspend', () => core.power.suspended());
  powerMonitor.on('resume', () => core.power.resumed());

  return { core, owned, ipcDoor, tray, windows };
}

/** Stops the builder, closes the doors and releases the state dir, within QUIT_CEILING_MS. */
async function shutdown(current: Shell): Promise<void> {
  const stop = (async () => {
    current.ipcDoor.close();
    current.windows.closeAll();
    // The socket door, then the core, then the state dir's lock.
    await current.owned.close({ stopBuilder: true });
  })();
  let timer: NodeJS.Timeout | undefined;
  const ceiling = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), QUIT_CEILING_MS);
  });
  const outcome = await Promise.race([stop.then(() => 'stopped' as const), ceiling]);
  clearTimeout(timer);
  if (outcome === 'timeout') warn(`The builder did not stop within ${QUIT_CEILING_MS / 1000} s; quitting anyway.`);
  current.tray.destroy();
}

/**
 * `builder-bar …` answered by the app's own binary: the same CLI code, output and exit codes as
 * `node bin.js` (exit 3 when no core runs), as a client of the core's socket. No window, no
 * tray, no single-instance lock: a running app is a server this process only talks to.
 */
function runAsCli(args: string[]): void {
  guardProcess((text) => process.stderr.write(`builder-bar: ${text}\n`));
  void cliMain(args).then(
    () => app.exit(typeof process.exitCode === 'number' ? process.exitCode : 0),
    () => app.exit(1),
  );
}

function main(): void {
  const cli = cliArguments(process.argv, { defaultApp: Boolean(process.defaultApp) });
  if (cli) {
    runAsCli(cli);
    return;
  }
  // A stray rejected promise is reported (here and in the core's app log), never fatal.
  guardProcess(warn);
  app.setPath('userData', userDataDirFor(process.env));

  if (!app.requestSingleInstanceLock()) {
    // The first instance gets 'second-instance' and opens its dashboard.
    app.exit(0);
    return;
  }
  app.on('second-instance', () => shell?.windows.open(secondInstanceWindow()));

  // A menu-bar app keeps running with no window open.
  app.on('window-all-closed', () => undefined);

  app.on('before-quit', (event) => {
    if (quitPhase === 'done' || shell === null) return;
    event.preventDefault();
    if (quitPhase === 'stopping') return;
    quitPhase = 'stopping';
    const current = shell;
    void shutdown(current)
      .catch((error: unknown) => warn(`Shutdown failed: ${(error as Error).message}`))
      .finally(() => {
        quitPhase = 'done';
        app.quit();
      });
  });

  void app
    .whenReady()
    .then(async () => {
      applyDock(0);
      shell = await startShell();
      if (shell === null) {
        quitPhase = 'done';
        app.exit(1);
        return;
      }
      const current = shell;
      installTestHook(process.env, globalThis, {
        trayCreated: () => true,
        trayState: () => current.tray.state,
        menuLabels: () => current.tray.menuLabels(),
        runTrayAction,
        openWindows: () => current.windows.openKinds(),
        dockVisible: () => dockShown,
      });
    })
    .catch((error: unknown) => {
      const box = startFailureBox(error);
      dialog.showErrorBox(box.title, box.content);
      quitPhase = 'done';
      app.exit(1);
    });
}

main();

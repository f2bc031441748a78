/**
 * Smoke test of Builder Bar as Electron runs it: the built app launched by Electron itself,
 * with a throwaway state dir. It checks what only the real runtime can show: the tray exists,
 * "Open Dashboard" opens a window, the page sees `window.builderBar` with exactly the named
 * methods and no Node (`require`, `process`), and the tray's Go To moves the open window to a
 * place without reloading it.
 *
 * Electron's runtime cannot be downloaded on every machine (not on this project's Linux test
 * machines, for one). There the test is skipped and says why, using the same detection as
 * `builder-bar start-app` (electron/doors/electronRuntime.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { findElectronRuntime } from '../../electron/doors/electronRuntime.js';
import { apiMethods } from '../../electron/ipc/contract.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runtime = findElectronRuntime();

/** The test hook main installs under BUILDER_BAR_TEST_HOOKS=1 (electron/main/testHook.ts). */
interface ShellHook {
  trayCreated(): boolean;
  trayState(): string | null;
  menuLabels(): string[];
  runTrayAction(action: string): Promise<void>;
  openWindows(): string[];
}
type HookGlobal = { __builderBarShell?: ShellHook };

test.describe('Builder Bar in Electron', () => {
  if (!runtime.available) {
    const reason = `Electron runtime not installed: ${runtime.reason}`;
    console.log(`[electron smoke] skipped — ${reason}`);
    test.skip(true, reason);
  }

  let stateDir = '';
  let app: ElectronApplication | null = null;

  test.beforeEach(async () => {
    if (!runtime.available) return;
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'bb-electron-'));
    app = await electron.launch({
      executablePath: runtime.executable,
      args: [projectRoot],
      cwd: projectRoot,
      env: { ...process.env, BUILDER_BAR_HOME: stateDir, BUILDER_BAR_TEST_HOOKS: '1' },
    });
  });

  test.afterEach(async () => {
    // Quit goes through the real shutdown (stop the builder, release the state dir).
    await app?.evaluate(({ app: electronApp }) => electronApp.quit()).catch(() => undefined);
    await app?.close().catch(() => undefined);
    if (stateDir !== '') await rm(stateDir, { recursive: true, force: true });
  });

  test('has a tray, opens the dashboard, and gives the page only window.builderBar', async () => {
    const electronApp = app!;
    await expect
      .poll(() => electronApp.evaluate(() => (globalThis as HookGlobal).__builderBarShell?.trayCreated() ?? false))
      .toBe(true);
    expect(await electronApp.evaluate(() => (globalThis as HookGlobal).__builderBarShell!.trayState())).toBe('stopped');
    const labels = await electronApp.evaluate(() => (globalThis as HookGlobal).__builderBarShell!.menuLabels());
    expect(labels[0]).toBe('Builder: Stopped');
    expect(labels).toEqual(expect.arrayContaining(['Start Builder', 'Open Dashboard', 'Go To', 'Open Logs', 'Quit Builder Bar']));

    // The same handler the menu's "Open Dashboard" item calls.
    const windowOpened = electronApp.waitForEvent('window');
    await electronApp.evaluate(() => (globalThis as HookGlobal).__builderBarShell!.runTrayAction('open-dashboard'));
    const page = await windowOpened;
    await page.waitForLoadState('domcontentloaded');
    expect(await electronApp.evaluate(() => (globalThis as HookGlobal).__builderBarShell!.openWindows())).toEqual(['dashboard']);

    const surface = await page.evaluate(() => {
      const api = (globalThis as unknown as { builderBar?: Record<string, unknown> }).builderBar;
      return {
        keys: api ? Object.keys(api).sort() : null,
        require: typeof (globalThis as unknown as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process,
      };
    });
    expect(surface.keys).toEqual([...Object.keys(apiMethods), 'on'].sort());
    expect(surface.require).toBe('undefined');
    expect(surface.process).toBe('undefined');

    // A call through the preload reaches the core by the Electron door.
    const info = await page.evaluate(() =>
      (globalThis as unknown as { builderBar: { getAppInfo(input: object): Promise<unknown> } }).builderBar.getAppInfo({}),
    );
    expect(info).toMatchObject({ ok: true, value: { door: 'electron', stateDir } });

    // The tray's Go To moves the open window to a place: the same page (what was typed stays), another fragment.
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Builder');
    await page.evaluate(() => {
      document.body.dataset.sameDocument = 'yes';
    });
    await electronApp.evaluate(() => (globalThis as HookGlobal).__builderBarShell!.runTrayAction('open-builds'));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Builds');
    await expect(page.getByRole('navigation', { name: 'Places' }).getByRole('link', { name: /^Builds\b/ })).toHaveAttribute('aria-current', 'page');
    expect(page.url()).toMatch(/index\.html#place=builds$/);
    expect(await page.evaluate(() => document.body.dataset.sameDocument)).toBe('yes');
    expect(await electronApp.evaluate(() => (globalThis as HookGlobal).__builderBarShell!.openWindows())).toEqual(['dashboard']);
  });
});

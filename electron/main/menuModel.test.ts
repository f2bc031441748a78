import { describe, expect, it } from 'vitest';
import type { Settings, Status, VmState } from '../ipc/contract.js';
import { onDemandLine } from '../ipc/describeOnDemand.js';
import { isPlaceAction, menuModel, placeOfAction, statusLine, type MenuItemModel, type TrayAction } from './menuModel.js';
import { menuTemplate } from './menuTemplate.js';
import { defaultSettings } from '../core/settings/defaults.js';
import { initialStatus } from '../ipc/initialStatus.js';

function status(state: VmState, extra: Partial<Status> = {}): Status {
  return { ...initialStatus('linux-test', 1_700_000_000_000), state, detail: '', ...extra };
}

const settings: Settings = { ...defaultSettings('linux'), logs: { ringLines: 1000 } };

function actions(model: MenuItemModel[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const item of model) if (item.kind === 'action') out[item.action] = item.enabled;
  return out;
}

function enabledActions(model: MenuItemModel[]): TrayAction[] {
  return model.flatMap((item) => (item.kind === 'action' && item.enabled ? [item.action] : []));
}

describe('statusLine', () => {
  it('shows the loopback address a ready builder listens on', () => {
    expect(statusLine(status('ready', { sshPort: 31022 }))).toBe('Builder: Ready — 127.0.0.1:31022');
  });

  it('falls back to the configured port when the status carries none', () => {
    expect(statusLine(status('ready'), { ...settings, hostPort: 31500 })).toBe('Builder: Ready — 127.0.0.1:31500');
  });

  it('says what a starting builder is doing', () => {
    expect(statusLine(status('starting', { detail: 'waiting for ssh' }))).toBe('Builder: Starting — waiting for ssh');
    expect(statusLine(status('starting'))).toBe('Builder: Starting…');
  });

  it('names the error, shortened to fit a menu', () => {
    const message = 'QEMU exited with code 1: '.padEnd(200, 'x');
    const line = statusLine(
      status('error', { error: { message, hint: null, exitCode: 1, signal: null, consoleTail: [], at: 0 } }),
    );
    expect(line.startsWith('Builder: Error — QEMU exited with code 1')).toBe(true);
    expect(line.length).toBeLessThan(90);
    expect(line.endsWith('…')).toBe(true);
  });

  it('is plain for a stopped builder', () => {
    expect(statusLine(status('stopped'))).toBe('Builder: Stopped');
  });
});

describe('menuModel', () => {
  it('starts with the status line and ends with Quit', () => {
    const model = menuModel(status('ready', { sshPort: 31022 }), settings);
    expect(model[0]).toEqual({ kind: 'status', label: 'Builder: Ready — 127.0.0.1:31022' });
    expect(model.at(-1)).toEqual({ kind: 'action', action: 'quit', label: 'Quit Builder Bar', enabled: true });
    expect(model.at(-2)).toEqual({ kind: 'separator' });
  });

  it('offers only Start (and the windows) when stopped', () => {
    expect(enabledActions(menuModel(status('stopped')))).toEqual(['start', 'open-dashboard', 'open-logs', 'quit']);
  });

  it('offers Stop but not Start or Restart while starting', () => {
    expect(actions(menuModel(status('starting')))).toMatchObject({ start: false, stop: true, restart: false });
  });

  it('offers Stop and Restart but not Start when ready', () => {
    expect(actions(menuModel(status('ready')))).toMatchObject({ start: false, stop: true, restart: true });
  });

  it('replaces Stop with Force Stop while a stop is in progress', () => {
    const model = menuModel(status('stopping'));
    expect(actions(model)).toMatchObject({ start: false, 'force-stop': true, restart: false });
    expect(actions(model)).not.toHaveProperty('stop');
  });

  it('offers Start, Stop (to cancel a scheduled restart) and Restart after an error', () => {
    expect(actions(menuModel(status('error')))).toMatchObject({ start: true, stop: true, restart: true });
  });

  it('always offers the dashboard, the logs and Quit', () => {
    for (const state of ['stopped', 'starting', 'ready', 'stopping', 'error'] as const) {
      expect(actions(menuModel(status(state)))).toMatchObject({ 'open-dashboard': true, 'open-logs': true, quit: true });
    }
  });

  it('opens each place of the Dashboard from a Go To submenu right below Open Dashboard', () => {
    const model = menuModel(status('stopped'), settings);
    const index = model.findIndex((item) => item.kind === 'action' && item.action === 'open-dashboard');
    expect(model[index + 1]).toEqual({
      kind: 'submenu',
      label: 'Go To',
      items: [
        { kind: 'action', action: 'open-builder', label: 'Builder', enabled: true },
        { kind: 'action', action: 'open-builds', label: 'Builds', enabled: true },
        { kind: 'action', action: 'open-nix', label: 'Nix', enabled: true },
        { kind: 'action', action: 'open-baselines', label: 'Baselines', enabled: true },
        { kind: 'action', action: 'open-builders', label: 'Builders', enabled: true },
        { kind: 'action', action: 'open-settings', label: 'Settings', enabled: true },
      ],
    });
    expect(model[index + 2]).toMatchObject({ kind: 'action', action: 'open-logs' });
  });

  it('tells a place action from every other action', () => {
    expect(isPlaceAction('open-nix')).toBe(true);
    expect(placeOfAction('open-nix')).toBe('nix');
    for (const other of ['open-dashboard', 'open-logs', 'start', 'quit'] as const) expect(isPlaceAction(other)).toBe(false);
  });

  it('tells the user about a scheduled restart and about giving up', () => {
    const scheduled = menuModel(status('error', { restart: { attempts: 2, nextAt: 1, gaveUp: false } }));
    expect(scheduled[1]).toEqual({ kind: 'detail', label: 'Restarting automatically (attempt 3)' });
    const gaveUp = menuModel(status('error', { restart: { attempts: 5, nextAt: null, gaveUp: true } }));
    expect(gaveUp[1]).toEqual({ kind: 'detail', label: 'Gave up after 5 restarts — start it again when fixed' });
  });

  it('shows On Demand, Open at Login (off by default) and Start Builder on Launch as checkboxes of the saved settings', () => {
    const toggles = (model: MenuItemModel[]) => model.filter((item) => item.kind === 'toggle' && item.action !== 'toggle-on-demand');
    expect(menuModel(status('stopped'), settings).filter((item) => item.kind === 'toggle')).toEqual([
      { kind: 'toggle', action: 'toggle-on-demand', label: 'Start When Nix Needs It (On Demand)', checked: false },
      { kind: 'toggle', action: 'toggle-open-at-login', label: 'Open at Login', checked: false },
      { kind: 'toggle', action: 'toggle-start-on-launch', label: 'Start Builder on Launch', checked: false },
    ]);
    expect(toggles(menuModel(status('stopped'), settings))).toEqual([
      { kind: 'toggle', action: 'toggle-open-at-login', label: 'Open at Login', checked: false },
      { kind: 'toggle', action: 'toggle-start-on-launch', label: 'Start Builder on Launch', checked: false },
    ]);
    expect(toggles(menuModel(status('ready'), { ...settings, openAtLogin: true, startOnLaunch: true })).map((item) => item.kind === 'toggle' && item.checked)).toEqual([true, true]);
    // Before the settings are known, no checkmark claims anything.
    expect(toggles(menuModel(status('stopped')))).toEqual([]);
  });

  it('offers to install the command line tool only when the shell says it can (a packaged Mac app)', () => {
    const offered = menuModel(status('stopped'), settings, [], { installCli: true });
    expect(offered).toContainEqual({ kind: 'action', action: 'install-cli', label: 'Install Command Line Tool…', enabled: true });
    expect(actions(menuModel(status('stopped'), settings))).not.toHaveProperty('install-cli');
  });

  it('warns that a TCG builder is slow', () => {
    const model = menuModel(status('ready', { accelerator: { name: 'tcg', reason: 'kvm probe failed' } }));
    expect(model).toContainEqual({ kind: 'detail', label: 'No hardware acceleration (TCG): slower builds' });
  });
});

describe('menuTemplate', () => {
  it('turns the model into Electron items whose clicks report the action', () => {
    const clicked: TrayAction[] = [];
    const template = menuTemplate(menuModel(status('stopped')), (action) => clicked.push(action));
    expect(template[0]).toEqual({ label: 'Builder: Stopped', enabled: false });
    expect(template[1]).toEqual({ type: 'separator' });
    const start = template.find((item) => item.label === 'Start Builder');
    const stop = template.find((item) => item.label === 'Stop Builder');
    expect(start?.enabled).toBe(true);
    expect(stop?.enabled).toBe(false);
    start?.click?.({} as never, undefined, {} as never);
    template.find((item) => item.label === 'Quit Builder Bar')?.click?.({} as never, undefined, {} as never);
    expect(clicked).toEqual(['start', 'quit']);
    expect(template.find((item) => item.label === 'Quit Builder Bar')?.accelerator).toBe('CommandOrControl+Q');
  });

  it('makes Go To a submenu whose items report the place to open', () => {
    const clicked: TrayAction[] = [];
    const template = menuTemplate(menuModel(status('stopped')), (action) => clicked.push(action));
    const goTo = template.find((item) => item.label === 'Go To')?.submenu as Array<{ label?: string; click?: (...args: never[]) => void }>;
    expect(goTo.map((item) => item.label)).toEqual(['Builder', 'Builds', 'Nix', 'Baselines', 'Builders', 'Settings']);
    goTo.find((item) => item.label === 'Builds')?.click?.();
    expect(clicked).toEqual(['open-builds']);
  });

  it('makes the toggles Electron checkboxes whose clicks report their action', () => {
    const clicked: TrayAction[] = [];
    const template = menuTemplate(menuModel(status('stopped'), { ...settings, openAtLogin: true }), (action) => clicked.push(action));
    const openAtLogin = template.find((item) => item.label === 'Open at Login');
    expect(openAtLogin).toMatchObject({ type: 'checkbox', checked: true });
    expect(template.find((item) => item.label === 'Start Builder on Launch')).toMatchObject({ type: 'checkbox', checked: false });
    openAtLogin?.click?.({} as never, undefined, {} as never);
    expect(clicked).toEqual(['toggle-open-at-login']);
  });
});

describe('on demand in the menu', () => {
  const now = 1_700_000_000_000;
  const onDemand = { connections: 0, builds: 0, idleStopsAt: null };

  it('says a stopped builder waits for a build, and counts down an idle one', () => {
    const stopped = menuModel(status('stopped', { onDemand }), settings, [], {}, now);
    expect(stopped[1]).toEqual({ kind: 'detail', label: 'On demand: stopped until a build needs it' });
    const idle = menuModel(status('ready', { sshPort: 31022, onDemand: { ...onDemand, idleStopsAt: now + 3 * 60_000 } }), settings, [], {}, now);
    expect(idle[1]).toEqual({ kind: 'detail', label: 'On demand: idle, stops in 3 min' });
  });

  it('says what holds a builder in use', () => {
    expect(onDemandLine(status('ready', { onDemand: { connections: 2, builds: 1, idleStopsAt: null } }), now)).toBe('On demand: in use (2 ssh sessions, 1 build)');
    expect(onDemandLine(status('ready', { onDemand: { connections: 1, builds: 0, idleStopsAt: null } }), now)).toBe('On demand: in use (1 ssh session)');
  });

  it('shows nothing of it when on demand is off (no onDemand in the status)', () => {
    expect(menuModel(status('stopped'), settings, [], {}, now).filter((item) => item.kind === 'detail')).toEqual([]);
  });
});

describe('the on-demand toggle', () => {
  it('shows the setting with a check mark, and clicking it asks the shell to flip it', () => {
    const off = menuModel(status('stopped'), settings);
    expect(off).toContainEqual({ kind: 'toggle', action: 'toggle-on-demand', label: 'Start When Nix Needs It (On Demand)', checked: false });
    const on = menuModel(status('stopped'), { ...settings, onDemand: true });
    expect(on).toContainEqual(expect.objectContaining({ kind: 'toggle', checked: true }));
    const clicked: TrayAction[] = [];
    const template = menuTemplate(on, (action) => clicked.push(action));
    const item = template.find((entry) => entry.type === 'checkbox');
    expect(item).toMatchObject({ checked: true, label: 'Start When Nix Needs It (On Demand)' });
    item!.click!({} as never, undefined, {} as never);
    expect(clicked).toEqual(['toggle-on-demand']);
  });
});

/**
 * The tray menu as a pure function of the builder's status, as Podman Desktop's tray-menu and
 * Rancher Desktop's tray do it: the Electron adapter (`menuTemplate.ts`) only turns this model
 * into `Menu.buildFromTemplate` input, so every rule about what is shown and enabled is here,
 * unit-tested, with no Electron in sight.
 */
import type { RepoBaselines, Settings, Status, VmState } from '../ipc/contract.js';
import { PLACES, PLACE_TITLES, isPlace, type Place } from '../ipc/places.js';
import { baselinesMenu } from './baselinesMenu.js';
import { onDemandLine } from '../ipc/describeOnDemand.js';

/** Opens the Dashboard at one of its places (electron/ipc/places.ts), e.g. `open-builds`. */
export type PlaceAction = `open-${Place}`;

/** What a menu item does when clicked; the shell maps each to a core request or a window. */
export type TrayAction =
  | PlaceAction
  | 'start'
  | 'stop'
  | 'force-stop'
  | 'restart'
  | 'open-dashboard'
  | 'open-logs'
  | 'install-cli'
  | 'toggle-open-at-login'
  | 'toggle-start-on-launch'
  | 'toggle-on-demand'
  | 'quit';

export function placeAction(place: Place): PlaceAction {
  return `open-${place}`;
}

export function isPlaceAction(action: TrayAction): action is PlaceAction {
  return action.startsWith('open-') && isPlace(action.slice('open-'.length));
}

/** The place an action opens the Dashboard at. */
export function placeOfAction(action: PlaceAction): Place {
  // The template type says what follows `open-` is a place; isPlaceAction checks it at run time.
  return action.slice('open-'.length) as Place;
}

/** "Go To": each place of the Dashboard, straight from the menu bar. */
function placesMenu(): MenuItemModel {
  return {
    kind: 'submenu',
    label: 'Go To',
    items: PLACES.map((place): MenuItemModel => ({ kind: 'action', action: placeAction(place), label: PLACE_TITLES[place], enabled: true })),
  };
}

/** The settings a checkbox in the menu turns on and off, by its action. */
export const TOGGLED_SETTING = { 'toggle-open-at-login': 'openAtLogin', 'toggle-start-on-launch': 'startOnLaunch', 'toggle-on-demand': 'onDemand' } as const;
export type ToggleAction = keyof typeof TOGGLED_SETTING;

export type MenuItemModel =
  | { kind: 'status'; label: string }
  | { kind: 'detail'; label: string }
  | { kind: 'action'; action: TrayAction; label: string; enabled: boolean }
  /** A checkbox that flips one boolean setting; `checked` is the setting's saved value. */
  | { kind: 'toggle'; action: ToggleAction; label: string; checked: boolean }
  /** Queues the full build of a branch's baseline; `branch` is the exact name, never parsed. */
  | { kind: 'prebuild'; label: string; repoId: string; branch: string }
  | { kind: 'submenu'; label: string; items: MenuItemModel[] }
  | { kind: 'separator' };

const STATE_WORDS: Record<VmState, string> = {
  stopped: 'Stopped',
  starting: 'Starting',
  ready: 'Ready',
  stopping: 'Stopping',
  error: 'Error',
};

/** Menu items stay short: a long error message belongs in the dashboard, not the menu bar. */
const MAX_DETAIL_CHARS = 60;

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_DETAIL_CHARS ? oneLine : `${oneLine.slice(0, MAX_DETAIL_CHARS - 1)}…`;
}

/**
 * The first line of the menu, e.g. "Builder: Ready — 127.0.0.1:31022". While the builder is not
 * up, the address part says what it is doing or why it failed instead.
 */
export function statusLine(status: Status, settings?: Settings): string {
  const word = STATE_WORDS[status.state];
  switch (status.state) {
    case 'ready': {
      const port = status.sshPort ?? settings?.hostPort ?? null;
      return port === null ? `Builder: ${word}` : `Builder: ${word} — 127.0.0.1:${port}`;
    }
    case 'starting':
    case 'stopping':
      return status.detail.trim() === '' ? `Builder: ${word}…` : `Builder: ${word} — ${shorten(status.detail)}`;
    case 'error':
      return status.error ? `Builder: ${word} — ${shorten(status.error.message)}` : `Builder: ${word}`;
    case 'stopped':
      return `Builder: ${word}`;
  }
}

/** A second, greyed line for facts a user acts on: a scheduled restart, a give-up, slow TCG, on demand. */
function detailLines(status: Status, now: number): string[] {
  const lines: string[] = [];
  const onDemand = onDemandLine(status, now);
  if (onDemand !== null) lines.push(onDemand);
  if (status.state === 'error' && status.restart.gaveUp) {
    lines.push(`Gave up after ${status.restart.attempts} restarts — start it again when fixed`);
  } else if (status.state === 'error' && status.restart.nextAt !== null) {
    lines.push(`Restarting automatically (attempt ${status.restart.attempts + 1})`);
  }
  if ((status.state === 'starting' || status.state === 'ready') && status.accelerator?.name === 'tcg') {
    lines.push('No hardware acceleration (TCG): slower builds');
  }
  return lines;
}

/**
 * Start is offered when nothing runs; Stop whenever something runs or is about to (a scheduled
 * restart after an error included, so Stop cancels it); Restart when there is a builder to
 * restart. A stop in progress can be forced: DESIGN.md wants force-stop from every state, and
 * the moment a user reaches for it is when a graceful stop hangs.
 */
/** What the shell can offer beyond the builder: the `builder-bar` link only from a packaged Mac app (its executable is the CLI). */
export interface MenuOffers {
  installCli?: boolean;
}

export function menuModel(status: Status, settings?: Settings, baselines: readonly RepoBaselines[] = [], offers: MenuOffers = {}, now: number = Date.now()): MenuItemModel[] {
  const state = status.state;
  const items: MenuItemModel[] = [{ kind: 'status', label: statusLine(status, settings) }];
  for (const label of detailLines(status, now)) items.push({ kind: 'detail', label });
  items.push({ kind: 'separator' });
  items.push({ kind: 'action', action: 'start', label: 'Start Builder', enabled: state === 'stopped' || state === 'error' });
  if (state === 'stopping') {
    items.push({ kind: 'action', action: 'force-stop', label: 'Force Stop Builder', enabled: true });
  } else {
    items.push({ kind: 'action', action: 'stop', label: 'Stop Builder', enabled: state === 'starting' || state === 'ready' || state === 'error' });
  }
  items.push({ kind: 'action', action: 'restart', label: 'Restart Builder', enabled: state === 'ready' || state === 'error' });
  if (settings) items.push({ kind: 'toggle', action: 'toggle-on-demand', label: 'Start When Nix Needs It (On Demand)', checked: settings.onDemand });
  items.push({ kind: 'separator' });
  items.push(...baselinesMenu(baselines));
  items.push({ kind: 'action', action: 'open-dashboard', label: 'Open Dashboard', enabled: true });
  items.push(placesMenu());
  items.push({ kind: 'action', action: 'open-logs', label: 'Open Logs', enabled: true });
  if (offers.installCli) items.push({ kind: 'action', action: 'install-cli', label: 'Install Command Line Tool…', enabled: true });
  items.push({ kind: 'separator' });
  // The two launch settings, as Mac menu-bar utilities offer them; shown once the settings are
  // known, so a checkmark never claims what is not saved.
  if (settings) {
    items.push({ kind: 'toggle', action: 'toggle-open-at-login', label: 'Open at Login', checked: settings.openAtLogin });
    items.push({ kind: 'toggle', action: 'toggle-start-on-launch', label: 'Start Builder on Launch', checked: settings.startOnLaunch });
    items.push({ kind: 'separator' });
  }
  items.push({ kind: 'action', action: 'quit', label: 'Quit Builder Bar', enabled: true });
  return items;
}

/**
 * What a tray item does and what the user is told about it, as data: the shell (index.ts) only
 * carries a route out and shows a notice. A notice is for what would otherwise vanish: a refusal
 * when no window may be open to show it, or a change whose meaning is not visible in the menu
 * (on demand takes effect once the wiring is applied again).
 */
import type { Envelope, ErrorInfo, RequestName, Settings, SettingsEffects } from '../ipc/contract.js';
import type { Place } from '../ipc/places.js';
import { TOGGLED_SETTING, isPlaceAction, placeOfAction, type ToggleAction, type TrayAction } from './menuModel.js';

export type TrayRoute =
  /** Shows the window; `place`, for the Dashboard, moves it there (an open one too). Without it, an open window stays where it is. */
  | { kind: 'open'; page: 'dashboard'; place?: Place }
  | { kind: 'open'; page: 'logs' }
  | { kind: 'quit' }
  | { kind: 'install-cli' }
  | { kind: 'toggle'; setting: (typeof TOGGLED_SETTING)[ToggleAction] }
  | { kind: 'request'; name: RequestName; input: object; failure: string };

export interface Notice {
  title: string;
  body: string;
}

export function routeTrayAction(action: TrayAction): TrayRoute {
  if (isPlaceAction(action)) return { kind: 'open', page: 'dashboard', place: placeOfAction(action) };
  switch (action) {
    case 'open-dashboard':
      return { kind: 'open', page: 'dashboard' };
    case 'open-logs':
      return { kind: 'open', page: 'logs' };
    case 'quit':
      return { kind: 'quit' };
    case 'install-cli':
      return { kind: 'install-cli' };
    case 'toggle-open-at-login':
    case 'toggle-start-on-launch':
    case 'toggle-on-demand':
      return { kind: 'toggle', setting: TOGGLED_SETTING[action] };
    case 'start':
      return { kind: 'request', name: 'vm.start', input: {}, failure: 'Could not start the builder' };
    case 'stop':
      return { kind: 'request', name: 'vm.stop', input: {}, failure: 'Could not stop the builder' };
    case 'force-stop':
      return { kind: 'request', name: 'vm.stop', input: { force: true }, failure: 'Could not force-stop the builder' };
    case 'restart':
      return { kind: 'request', name: 'vm.restart', input: {}, failure: 'Could not restart the builder' };
  }
}

/** A refusal, in the core's words and its hint. */
export function refusalNotice(title: string, error: ErrorInfo): Notice {
  return { title, body: `${error.message}${error.hint ? ` ${error.hint}` : ''}` };
}

/** After a checkbox flipped a setting: a refusal always; for on demand, what it takes to work. */
export function toggleNotice(setting: Extract<TrayRoute, { kind: 'toggle' }>['setting'], reply: Envelope<{ settings: Settings; effects: SettingsEffects }>): Notice | null {
  if (!reply.ok) return refusalNotice('Could not change the setting', reply.error);
  if (setting !== 'onDemand') return null;
  return { title: `On demand is ${reply.value.settings.onDemand ? 'on' : 'off'}`, body: reply.value.effects.messages.join(' ') };
}

/** A request from the tray (start, stop, prebuild): told only when refused. */
export function requestNotice(failure: string, reply: Envelope<unknown>): Notice | null {
  return reply.ok ? null : refusalNotice(failure, reply.error);
}

import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../core/settings/defaults.js';
import type { TrayAction } from './menuModel.js';
import { requestNotice, routeTrayAction, toggleNotice } from './trayRouting.js';

const every: TrayAction[] = ['open-builder', 'open-builds', 'open-nix', 'open-baselines', 'open-builders', 'open-settings', 'start', 'stop', 'force-stop', 'restart', 'open-dashboard', 'open-logs', 'install-cli', 'toggle-open-at-login', 'toggle-start-on-launch', 'toggle-on-demand', 'quit'];

describe('tray routing', () => {
  it('gives every tray action one route', () => {
    expect(Object.fromEntries(every.map((action) => [action, routeTrayAction(action)]))).toEqual({
      start: { kind: 'request', name: 'vm.start', input: {}, failure: 'Could not start the builder' },
      stop: { kind: 'request', name: 'vm.stop', input: {}, failure: 'Could not stop the builder' },
      'force-stop': { kind: 'request', name: 'vm.stop', input: { force: true }, failure: 'Could not force-stop the builder' },
      restart: { kind: 'request', name: 'vm.restart', input: {}, failure: 'Could not restart the builder' },
      'open-builder': { kind: 'open', page: 'dashboard', place: 'builder' },
      'open-builds': { kind: 'open', page: 'dashboard', place: 'builds' },
      'open-nix': { kind: 'open', page: 'dashboard', place: 'nix' },
      'open-baselines': { kind: 'open', page: 'dashboard', place: 'baselines' },
      'open-builders': { kind: 'open', page: 'dashboard', place: 'builders' },
      'open-settings': { kind: 'open', page: 'dashboard', place: 'settings' },
      // Without a place an open window stays where the user left it.
      'open-dashboard': { kind: 'open', page: 'dashboard' },
      'open-logs': { kind: 'open', page: 'logs' },
      'install-cli': { kind: 'install-cli' },
      'toggle-open-at-login': { kind: 'toggle', setting: 'openAtLogin' },
      'toggle-start-on-launch': { kind: 'toggle', setting: 'startOnLaunch' },
      'toggle-on-demand': { kind: 'toggle', setting: 'onDemand' },
      quit: { kind: 'quit' },
    });
  });

  it('tells a refusal with the core\'s hint, and says nothing of a request that went through', () => {
    const refused = { ok: false as const, error: { code: 'busy' as const, message: 'The builder is stopping.', hint: 'Wait, then start it.' } };
    expect(requestNotice('Could not start the builder', refused)).toEqual({ title: 'Could not start the builder', body: 'The builder is stopping. Wait, then start it.' });
    expect(requestNotice('Could not start the builder', { ok: true, value: {} })).toBeNull();
  });

  it('says what on demand takes once flipped, and nothing for a checkbox whose mark says it all', () => {
    const settings = { ...defaultSettings('darwin'), onDemand: true };
    const effects = { needsRestart: false, needsNewDisk: false, messages: ['Apply the Nix wiring again.'] };
    expect(toggleNotice('onDemand', { ok: true, value: { settings, effects } })).toEqual({ title: 'On demand is on', body: 'Apply the Nix wiring again.' });
    expect(toggleNotice('openAtLogin', { ok: true, value: { settings, effects } })).toBeNull();
    expect(toggleNotice('openAtLogin', { ok: false, error: { code: 'invalid-settings', message: 'no', hint: null } })).toEqual({ title: 'Could not change the setting', body: 'no' });
  });
});

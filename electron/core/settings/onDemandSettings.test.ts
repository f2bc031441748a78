import { describe, expect, it } from 'vitest';
import { SettingsPatchSchema } from '../../ipc/contract.js';
import { defaultSettings } from './defaults.js';
import { repairSettings } from './repairSettings.js';
import { settingsEffects } from './settingsEffects.js';
import { validateSettings } from './validateSettings.js';

const limits = { cpus: 8, memoryMiB: 16384 };

describe('on-demand settings', () => {
  it('are off by default, with a 30-minute idle stop', () => {
    expect(defaultSettings('darwin')).toMatchObject({ onDemand: false, idleStopMinutes: 30 });
  });

  it('refuse an idle time outside 1..1440 whole minutes, naming the field', () => {
    for (const [value, message] of [[0, 'at least 1 minute'], [1441, 'at most 1440 minutes (a day)'], [2.5, 'a whole number']] as const) {
      const result = validateSettings({ ...defaultSettings('linux'), idleStopMinutes: value }, limits);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems[0]).toMatchObject({ field: 'idleStopMinutes', message: expect.stringContaining(message) });
    }
    expect(validateSettings({ ...defaultSettings('linux'), onDemand: true, idleStopMinutes: 1 }, limits).ok).toBe(true);
    expect(SettingsPatchSchema.safeParse({ onDemand: 'yes' }).success).toBe(false);
  });

  it('a settings file from before them gets the defaults, with no warning', () => {
    const { onDemand: _o, idleStopMinutes: _i, ...older } = { ...defaultSettings('linux'), cpus: 2 };
    const repaired = repairSettings({ migrated: older, defaults: defaultSettings('linux'), limits, file: 'settings.json' });
    expect(repaired).toMatchObject({ warnings: [], lostData: false, settings: { cpus: 2, onDemand: false, idleStopMinutes: 30 } });
  });

  it('turning it on says to apply the wiring again', async () => {
    const before = defaultSettings('linux');
    const effects = await settingsEffects({ changed: ['onDemand'], before, after: { ...before, onDemand: true }, state: 'ready', diskSizeGiB: async () => null });
    expect(effects.needsRestart).toBe(false);
    expect(effects.messages).toEqual([expect.stringContaining('apply the Nix wiring again (builder-bar nix apply')]);
  });
});

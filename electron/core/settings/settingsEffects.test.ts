import { describe, expect, it } from 'vitest';
import { defaultSettings } from './defaults.js';
import { settingsEffects } from './settingsEffects.js';

const before = defaultSettings('linux');

describe('settingsEffects', () => {
  it('asks for a restart only when the running builder was started with the old value', async () => {
    const after = { ...before, cpus: 2 };
    const running = await settingsEffects({ changed: ['cpus'], before, after, state: 'ready', diskSizeGiB: async () => null });
    expect(running.needsRestart).toBe(true);
    expect(running.messages[0]).toMatch(/Restart the builder to apply cpus/);
    const stopped = await settingsEffects({ changed: ['cpus'], before, after, state: 'stopped', diskSizeGiB: async () => null });
    expect(stopped).toEqual({ needsRestart: false, needsNewDisk: false, messages: [] });
  });

  it('never asks for a restart for settings the VM does not use', async () => {
    const after = { ...before, startOnLaunch: true };
    const effects = await settingsEffects({ changed: ['startOnLaunch'], before, after, state: 'ready', diskSizeGiB: async () => 4 });
    expect(effects.needsRestart).toBe(false);
  });

  it('says a new disk size needs a new disk when a disk of another size exists', async () => {
    const after = { ...before, diskGiB: 40 };
    const effects = await settingsEffects({ changed: ['diskGiB'], before, after, state: 'stopped', diskSizeGiB: async () => 4 });
    expect(effects.needsNewDisk).toBe(true);
    expect(effects.messages.join(' ')).toMatch(/already exists with 4 GiB; 40 GiB applies only to a new disk/);
    const noDisk = await settingsEffects({ changed: ['diskGiB'], before, after, state: 'stopped', diskSizeGiB: async () => null });
    expect(noDisk.needsNewDisk).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import type { Settings } from '../api/contract.js';
import { checkDraft, draftFromSettings, isEmptyPatch, patchBetween } from './settingsDraft.js';
import { defaultSettings } from '../../../electron/core/settings/defaults.js';

const settings: Settings = defaultSettings('linux');

describe('the settings form model', () => {
  it('accepts the settings it started from and sends nothing', () => {
    const check = checkDraft(draftFromSettings(settings), settings);
    expect(check).toEqual({ ok: true, settings });
    if (check.ok) expect(isEmptyPatch(patchBetween(settings, check.settings))).toBe(true);
  });

  it("shows the schema's own message next to the field", () => {
    const draft = { ...draftFromSettings(settings), cpus: '0', hostPort: '80' };
    const check = checkDraft(draft, settings);
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.errors.cpus).toBe('at least 1 core');
      expect(check.errors.hostPort).toBe('ports below 1024 need root');
      expect(check.errors.memoryMiB).toBeUndefined();
    }
  });

  it('maps nested fields (restart policy, log ring) to their inputs', () => {
    const draft = { ...draftFromSettings(settings), restartMaxPerMinute: '7', ringLines: '5' };
    const check = checkDraft(draft, settings);
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.errors.restartMaxPerMinute).toMatch(/6/);
      expect(check.errors.ringLines).toMatch(/100/);
    }
  });

  it('asks for a number when the text is not one', () => {
    const check = checkDraft({ ...draftFromSettings(settings), diskGiB: '', memoryMiB: 'lots' }, settings);
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.errors.diskGiB).toBe('enter a number');
      expect(check.errors.memoryMiB).toBe('enter a number');
    }
  });

  it('sends only the fields that changed', () => {
    const draft = { ...draftFromSettings(settings), memoryMiB: ' 2048 ', restartGiveUpAfter: '9', startOnLaunch: true };
    const check = checkDraft(draft, settings);
    expect(check.ok).toBe(true);
    if (check.ok) {
      expect(patchBetween(settings, check.settings)).toEqual({
        memoryMiB: 2048,
        startOnLaunch: true,
        restartPolicy: { giveUpAfter: 9 },
      });
    }
  });
});

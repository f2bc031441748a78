import { describe, expect, it } from 'vitest';
import type { Settings } from '../api/contract.js';
import { checkDraft, draftFromSettings, isEmptyPatch, nixBinDirHint, patchBetween } from './settingsDraft.js';
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
    const draft = { ...draftFromSettings(settings), memoryMiB: ' 2048 ', restartGiveUpAfter: '9', startOnLaunch: true, openAtLogin: true };
    const check = checkDraft(draft, settings);
    expect(check.ok).toBe(true);
    if (check.ok) {
      expect(patchBetween(settings, check.settings)).toEqual({
        memoryMiB: 2048,
        startOnLaunch: true,
        openAtLogin: true,
        restartPolicy: { giveUpAfter: 9 },
      });
    }
  });

  it('an empty Nix directory is automatic (null); a path is sent as typed; a relative one gets the schema\'s message', () => {
    const chosen = checkDraft({ ...draftFromSettings(settings), nixBinDir: '/nix/var/nix/profiles/default/bin' }, settings);
    expect(chosen.ok).toBe(true);
    if (chosen.ok) expect(patchBetween(settings, chosen.settings)).toEqual({ nixBinDir: '/nix/var/nix/profiles/default/bin' });

    const withDir: Settings = { ...settings, nixBinDir: '/opt/nix/bin' };
    expect(draftFromSettings(withDir).nixBinDir).toBe('/opt/nix/bin');
    const cleared = checkDraft({ ...draftFromSettings(withDir), nixBinDir: '  ' }, withDir);
    expect(cleared.ok).toBe(true);
    if (cleared.ok) expect(patchBetween(withDir, cleared.settings)).toEqual({ nixBinDir: null });

    const relative = checkDraft({ ...draftFromSettings(settings), nixBinDir: 'nix/bin' }, settings);
    expect(relative.ok).toBe(false);
    if (!relative.ok) {
      expect(relative.errors.nixBinDir).toMatch(/absolute path/);
      expect(relative.errors.cpus).toBeUndefined();
    }
  });

  it('the Nix directory\'s hint shows what automatic finds, the Nix in use, or why there is none', () => {
    const found = { found: true as const, binDir: '/usr/bin', version: '2.8.0', determinate: false, chosenBy: 'path' as const, missing: [] };
    expect(nixBinDirHint('', null, found)).toEqual({ text: "Automatic: Nix 2.8.0 in /usr/bin (found on the app's PATH).", warn: false });
    const none = { found: false as const, reason: 'Nix was not found on PATH or in Nix\'s profile directories (…).', hint: 'Install Nix.' };
    expect(nixBinDirHint('', null, none)).toEqual({ text: 'Automatic: none found: Nix was not found on PATH or in Nix\'s profile directories (…). Install Nix.', warn: true });
    const chosen = { ...found, binDir: '/opt/nix/bin', version: '2.34.8', chosenBy: 'setting' as const };
    expect(nixBinDirHint('/opt/nix/bin', '/opt/nix/bin', chosen).text).toBe('In use: Nix 2.34.8. Empty it to let Builder Bar find Nix.');
    expect(nixBinDirHint('/elsewhere/bin', '/opt/nix/bin', chosen).text).toMatch(/^Save checks that this directory holds nix/);
    expect(nixBinDirHint('', '/opt/nix/bin', chosen).text).toMatch(/^Empty: Builder Bar finds Nix .* from Save on\.$/);
  });
});

describe('the Mac builder\'s nixpkgs pin in the form', () => {
  const base = defaultSettings('darwin');
  it('shows the schema\'s words under the field that is wrong', () => {
    const check = checkDraft({ ...draftFromSettings(base), nixpkgsRev: 'nixos-25.05' }, base);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.errors.nixpkgsRev).toMatch(/40 lower-case hex/);
  });

  it('sends the whole pin when either half changes, and nothing when neither does', () => {
    const rev = 'b'.repeat(40);
    const check = checkDraft({ ...draftFromSettings(base), nixpkgsRev: ` ${rev} ` }, base);
    expect(check.ok).toBe(true);
    if (check.ok) expect(patchBetween(base, check.settings)).toEqual({ builderNixpkgs: { rev, narHash: base.builderNixpkgs.narHash } });
    const same = checkDraft(draftFromSettings(base), base);
    if (same.ok) expect(patchBetween(base, same.settings)).toEqual({});
  });
});

/**
 * The core's `settings.*` requests. A change is refused before it is saved when it cannot work
 * (a nixBinDir without a Nix, a disk smaller than the one there); once saved, what it means is
 * said (restart needed, apply the wiring again, ...) in the reply and the app log. The `settings`
 * event comes from the store itself, whoever changed it.
 */
import type { Settings, SettingsEffects, VmState } from '../../ipc/contract.js';
import type { HandlersFor } from '../core.js';
import type { LogSink } from '../logs/logSink.js';
import type { NixLocator } from '../nix/nixInstallation.js';
import { refuseShrinkingDisk } from './diskSizeSetting.js';
import { nixBinDirEffect, refuseUnusableNixBinDir } from './nixBinDirSetting.js';
import { settingsEffects } from './settingsEffects.js';
import type { SettingsStore } from './settingsStore.js';

export interface SettingsHandlerDeps {
  store: SettingsStore;
  nix: NixLocator;
  logs: LogSink;
  builderState: () => VmState;
  /** The running builder's ssh port (its QEMU holds it), null when none runs. */
  builderPort?: () => number | null;
  diskSizeGiB: () => Promise<number | null>;
  diskImage: string;
}

export function settingsHandlers(deps: SettingsHandlerDeps): HandlersFor<'settings'> {
  return {
    'settings.get': async (): Promise<Settings> => deps.store.get(),
    'settings.set': async (input) => {
      await refuseUnusableNixBinDir(input.patch, deps.nix);
      await refuseShrinkingDisk(input.patch, { sizeGiB: deps.diskSizeGiB, path: deps.diskImage });
      const { settings, changed, before } = await deps.store.update(input.patch);
      const effects: SettingsEffects = await settingsEffects({
        changed,
        before,
        after: settings,
        state: deps.builderState(),
        builderPort: deps.builderPort?.() ?? null,
        diskSizeGiB: deps.diskSizeGiB,
      });
      if (changed.includes('nixBinDir')) effects.messages.push(await nixBinDirEffect(deps.nix));
      for (const message of effects.messages) deps.logs.append('app', 'info', message);
      return { settings, effects };
    },
  };
}

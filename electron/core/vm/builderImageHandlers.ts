/**
 * The core's `builderImage.*` requests: "Update builder image" for the Mac profile, in two steps
 * (plan says what it would fetch; update realises exactly that pin, then saves it). One update at
 * a time: two realisations would race for the same GC root.
 */
import type { RequestName, RequestOutput, Settings } from '../../ipc/contract.js';
import type { ValidInput } from '../core.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from '../logs/logSink.js';
import type { NixLocator } from '../nix/nixInstallation.js';
import { applyImageUpdate, planImageUpdate, type ImageUpdateDeps } from './profiles/builderImageUpdate.js';

type ImageRequest = Extract<RequestName, `builderImage.${string}`>;
export type BuilderImageHandlers = { [N in ImageRequest]: (input: ValidInput<N>) => Promise<RequestOutput<N>> };

export interface BuilderImageHandlerDeps {
  vmDir: string;
  nix: Pick<NixLocator, 'require'>;
  logs: LogSink;
  settings: () => Settings;
  saveSettings: (patch: Pick<Settings, 'builderNixpkgs'>) => Promise<unknown>;
}

function requireMacProfile(settings: Settings): void {
  if (settings.profile !== 'darwin-linux-builder') {
    throw new BuilderBarError('not-supported', 'The builder image is the darwin-linux-builder profile\'s (nixpkgs\' darwin.linux-builder on a Mac); this builder is linux-test, built from this machine\'s packages.',
      'Nothing to update: the linux-test guest is rebuilt by itself when its inputs change.');
  }
}

export function builderImageHandlers(deps: BuilderImageHandlerDeps): BuilderImageHandlers {
  let updating: Promise<unknown> = Promise.resolve();
  const updateDeps = async (): Promise<ImageUpdateDeps> => {
    const { programs } = await deps.nix.require();
    return {
      vmDir: deps.vmDir,
      nix: programs.nix,
      nixBuild: programs['nix-build'],
      current: () => deps.settings().builderNixpkgs,
      savePin: async (pin) => { await deps.saveSettings({ builderNixpkgs: pin }); },
      report: (message) => deps.logs.append('app', 'info', message),
    };
  };
  return {
    'builderImage.plan': async (input) => {
      requireMacProfile(deps.settings());
      return planImageUpdate(await updateDeps(), ...(input.branch ? [input.branch] : []));
    },
    'builderImage.update': async (input) => {
      requireMacProfile(deps.settings());
      const run = updating.then(async () => applyImageUpdate(await updateDeps(), input.pin));
      updating = run.catch(() => undefined);
      const image = await run;
      return { pin: image.pin, storePath: image.storePath, realised: image.realised };
    },
  };
}

/**
 * The core's `builderImage.*` requests: "Update builder image" for the Mac profile, in two steps
 * (plan says what it would fetch; update realises exactly that pin, then saves it). One update at
 * a time: two realisations would race for the same GC root. And the disks nixpkgs' builder left
 * before Builder Bar (upstreamDisks.ts): listed anywhere, imported only for the Mac profile, only
 * while the builder is stopped and has no disk of its own.
 */
import type { RequestName, RequestOutput, Settings, VmState } from '../../ipc/contract.js';
import { promises as fs } from 'node:fs';
import type { ValidInput } from '../core.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from '../logs/logSink.js';
import type { NixLocator } from '../nix/nixInstallation.js';
import { ensurePrivateDir } from '../util/atomicWrite.js';
import { requireTool, QEMU_IMG } from './guest-image/hostTools.js';
import type { ToolFinder } from '../host/toolSearchPath.js';
import { applyImageUpdate, planImageUpdate, type ImageUpdateDeps } from './profiles/builderImageUpdate.js';
import { buildOwnHostKeyImage } from './profiles/hostKeyBootstrap.js';
import type { BuilderImage } from './profiles/builderImage.js';
import type { HostKeySwitchResult } from './profiles/hostKeySwitch.js';
import { findUpstreamDisks, importUpstreamDisk, upstreamDiskCandidates } from './profiles/upstreamDisks.js';
import { vmFilesIn } from './vmFiles.js';

type ImageRequest = Extract<RequestName, `builderImage.${string}`>;
export type BuilderImageHandlers = { [N in ImageRequest]: (input: ValidInput<N>) => Promise<RequestOutput<N>> };

export interface BuilderImageHandlerDeps {
  vmDir: string;
  nix: Pick<NixLocator, 'require'>;
  logs: LogSink;
  settings: () => Settings;
  saveSettings: (patch: Pick<Settings, 'builderNixpkgs'>) => Promise<unknown>;
  /** The user's home directory, where `nix run nixpkgs#darwin.linux-builder` most often leaves its disk. */
  home: string;
  builderState: () => VmState;
  /** The core's one switch to the own host key (hostKeySwitch.ts), handed the way to build its image. */
  switchHostKey: (buildImage: () => Promise<BuilderImage>) => Promise<HostKeySwitchResult>;
  /** Where qemu-img is found: the core's search path. */
  tools?: Pick<ToolFinder, 'find'>;
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
    'builderImage.ownHostKey': async () => {
      requireMacProfile(deps.settings());
      const update = await updateDeps();
      return deps.switchHostKey(() => {
        // One realisation at a time, as for updates: both write GC roots in the VM dir.
        const run = updating.then(() => buildOwnHostKeyImage({ vmDir: update.vmDir, nixBuild: update.nixBuild, report: update.report }, deps.settings().builderNixpkgs));
        updating = run.catch(() => undefined);
        return run;
      });
    },
    'builderImage.upstreamDisks': async () => {
      const ownDisk = vmFilesIn(deps.vmDir).diskImage;
      const ownDiskExists = (await fs.lstat(ownDisk).catch(() => null)) !== null;
      return { disks: await findUpstreamDisks(upstreamDiskCandidates(deps.home)), ownDisk, ownDiskExists };
    },
    'builderImage.importDisk': async (input) => {
      requireMacProfile(deps.settings());
      const state = deps.builderState();
      if (state !== 'stopped') {
        throw new BuilderBarError('busy', `The builder is ${state}: a disk is imported only while it is stopped.`, 'Stop the builder, then import again.');
      }
      await ensurePrivateDir(deps.vmDir);
      const imported = await importUpstreamDisk({
        source: input.path,
        candidates: upstreamDiskCandidates(deps.home),
        target: vmFilesIn(deps.vmDir).diskImage,
        qemuImg: await requireTool(QEMU_IMG, deps.tools),
      });
      deps.logs.append('app', 'info', `Imported ${imported.source} as the builder's disk (${imported.target}); the original is left as it was.`);
      return imported;
    },
  };
}

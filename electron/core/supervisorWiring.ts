/**
 * Connects the builder supervisor to the real profiles and the real accelerator probe. The
 * core sees only `SupervisorPort`: what it calls, nothing of how a VM is run.
 */
import type { ProfileName, Settings } from '../ipc/contract.js';
import { BuilderBarError } from './errors.js';
import type { LogSink } from './logs/logSink.js';
import type { StatePaths } from './paths.js';
import { chooseAccelerator } from './vm/accelerator.js';
import { BuilderSupervisor } from './vm/builderSupervisor.js';
import { findOnPath, installHint, QEMU_SYSTEM_AARCH64, QEMU_SYSTEM_X86_64 } from './vm/guest-image/hostTools.js';
import type { BuilderProfile } from './vm/profile.js';
import { environmentNix, NIX_BIN_DIR_ENV, type NixLocator } from './nix/nixInstallation.js';
import { createDarwinLinuxBuilderProfile, darwinLinuxBuilderProfile } from './vm/profiles/darwinLinuxBuilder.js';
import { createLinuxTestProfile, linuxTestProfile } from './vm/profiles/linuxTest.js';

export type SupervisorPort = Pick<
  BuilderSupervisor,
  'status' | 'onStatus' | 'start' | 'stop' | 'restart' | 'recover' | 'probeAgain' | 'close' | 'diskSizeGiB' | 'exec'
>;

export interface SupervisorWiringInput {
  paths: StatePaths;
  logs: LogSink;
  getSettings: () => Settings;
  platform: NodeJS.Platform;
  /**
   * The Nix Builder Bar uses (nixBinDir): the Mac profile fetches nixpkgs' builder with it, and
   * both profiles add the keys share to its store.
   */
  nix?: NixLocator;
}

export function resolveProfile(
  name: ProfileName,
  platform: NodeJS.Platform,
  darwinProfile: BuilderProfile = darwinLinuxBuilderProfile,
  linuxProfile: BuilderProfile = linuxTestProfile,
): BuilderProfile {
  if (name === 'darwin-linux-builder' && platform !== 'darwin') {
    throw new BuilderBarError(
      'not-supported',
      'The darwin-linux-builder profile runs nixpkgs\' darwin.linux-builder with macOS\'s Hypervisor.framework; it only runs on a Mac.',
      'On this machine use the linux-test profile: builder-bar settings set profile=linux-test',
    );
  }
  return name === 'linux-test' ? linuxProfile : darwinProfile;
}

/**
 * Who may add the linux-test keys share to the store: the Nix in use first, then the one found on
 * PATH or in Nix's profile directories (nixBinDir left aside), used only when the first keeps its
 * store where QEMU cannot read it (a Nix in a root of its own).
 */
async function keysShareNixStores(nix: NixLocator): Promise<string[]> {
  const programs = [(await nix.require()).programs['nix-store']];
  const { [NIX_BIN_DIR_ENV]: _named, ...env } = process.env;
  const found = await environmentNix(env).resolve();
  if (found.found && !programs.includes(found.installation.programs['nix-store'])) programs.push(found.installation.programs['nix-store']);
  return programs;
}

export async function createSupervisor(input: SupervisorWiringInput): Promise<SupervisorPort> {
  const nix = input.nix;
  const darwinProfile = nix ? createDarwinLinuxBuilderProfile({ nixProgram: async () => (await nix.require()).programs.nix }) : darwinLinuxBuilderProfile;
  const linuxProfile = nix ? createLinuxTestProfile({ nixStorePrograms: () => keysShareNixStores(nix) }) : linuxTestProfile;
  return new BuilderSupervisor({
    paths: input.paths,
    logs: input.logs,
    getSettings: input.getSettings,
    platform: input.platform,
    resolveProfile: (name) => resolveProfile(name, input.platform, darwinProfile, linuxProfile),
    chooseAccelerator: async (profile) => {
      const qemuBinary = await findOnPath(profile.qemuBinaryName);
      if (!qemuBinary) {
        const tool = profile.qemuBinaryName === QEMU_SYSTEM_AARCH64.name ? QEMU_SYSTEM_AARCH64 : QEMU_SYSTEM_X86_64;
        throw new BuilderBarError('vm-failed', `${profile.qemuBinaryName} was not found on PATH.`, installHint(tool, input.platform));
      }
      return chooseAccelerator({ candidates: profile.acceleratorCandidates, qemuBinary });
    },
  });
}


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
import type { BuilderProfile } from './vm/profile.js';
import { environmentNix, NIX_BIN_DIR_ENV, type NixLocator } from './nix/nixInstallation.js';
import type { ToolFinder } from './host/toolSearchPath.js';
import { createDarwinLinuxBuilderProfile } from './vm/profiles/darwinLinuxBuilder.js';
import { createLinuxTestProfile } from './vm/profiles/linuxTest.js';

export type SupervisorPort = Pick<
  BuilderSupervisor,
  'status' | 'onStatus' | 'start' | 'stop' | 'restart' | 'recover' | 'probeAgain' | 'close' | 'diskSizeGiB' | 'exec' | 'poll'
>;

export interface SupervisorWiringInput {
  paths: StatePaths;
  logs: LogSink;
  getSettings: () => Settings;
  platform: NodeJS.Platform;
  /**
   * The Nix Builder Bar uses (nixBinDir): the Mac profile realises nixpkgs' builder with it, and
   * both profiles add the keys share to its store. Default: found as the core finds it.
   */
  nix?: NixLocator;
  /** The core's search path: QEMU and qemu-img are found there. */
  tools?: Pick<ToolFinder, 'find'>;
}

export function resolveProfile(
  name: ProfileName,
  platform: NodeJS.Platform,
  darwinProfile: BuilderProfile,
  linuxProfile: BuilderProfile,
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

/** The profile a settings name means on this platform, each wired to the Nix in use. */
export function profileResolver(input: { getSettings: () => Settings; platform: NodeJS.Platform; nix?: NixLocator; tools?: Pick<ToolFinder, 'find'> }): (name: ProfileName) => BuilderProfile {
  const nix = input.nix ?? environmentNix();
  const darwinProfile = createDarwinLinuxBuilderProfile({
    pin: () => input.getSettings().builderNixpkgs,
    nixPrograms: async () => {
      const { programs } = await nix.require();
      return { nixBuild: programs['nix-build'], nixStore: programs['nix-store'] };
    },
    ...(input.tools ? { tools: input.tools } : {}),
  });
  const linuxProfile = createLinuxTestProfile({ nixStorePrograms: () => keysShareNixStores(nix), ...(input.tools ? { tools: input.tools } : {}) });
  return (name) => resolveProfile(name, input.platform, darwinProfile, linuxProfile);
}

export async function createSupervisor(input: SupervisorWiringInput): Promise<SupervisorPort> {
  const resolve = profileResolver(input);
  return new BuilderSupervisor({
    paths: input.paths,
    logs: input.logs,
    getSettings: input.getSettings,
    platform: input.platform,
    ...(input.tools ? { tools: input.tools } : {}),
    resolveProfile: resolve,
    // The supervisor finds the profile's QEMU (and says what to install when it is missing).
    chooseAccelerator: (profile, qemuBinary) => chooseAccelerator({ candidates: profile.acceleratorCandidates, qemuBinary }),
  });
}


/**
 * The wiring's inputs read straight from the state dir, so `builder-bar nix ...` works without
 * a running core: the profile and port from settings.json (or the running VM's boot record,
 * whose port wins when the port was picked automatically), and the install's keys. The boot
 * record also says which port our own VM listens on while its QEMU runs, so detection never
 * takes our builder for someone else's (and never connects to it to find out).
 */
import os from 'node:os';
import path from 'node:path';
import type { ProfileName, RemoteBuilder, Settings } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import type { StatePaths } from '../paths.js';
import { defaultSettings, SETTINGS_FILE_MAX_BYTES } from '../settings/defaults.js';
import { migrateSettings } from '../settings/migrations.js';
import { repairSettings } from '../settings/repairSettings.js';
import { hostLimits } from '../settings/validateSettings.js';
import { profileResolver } from '../supervisorWiring.js';
import { CLIENT_KEY_FILE, ensureInstallKeys, hostKeyPolicyFor, hostKeyPolicyOfBoot } from '../vm/keyStore.js';
import { NotRegularFileError, readRegularFile } from '../util/regularFile.js';
import { identifyQemu } from '../vm/qemuOwnership.js';
import { builderCpus } from '../vm/profiles/darwinLinuxBuilder.js';
import { readBootRecord, vmFilesIn } from '../vm/vmFiles.js';
import { BUILDER_ALIAS, type BuilderEndpoint } from './builderEndpoint.js';
import { NixLocator } from './nixInstallation.js';
import { ownProxyCommand } from './proxyCommandLine.js';

export interface WiringInputs {
  builder: BuilderEndpoint;
  /** The remote builders from the settings, each behind its own alias `builder-bar-<id>`. */
  remotes: BuilderEndpoint[];
  clientPrivateKey: string;
  /** Where that key lives in the state dir (the nix-darwin form says to copy it from there). */
  clientKeyFile: string;
  profile: ProfileName;
  /** The port our own VM's ssh forward listens on while its QEMU runs; null when it does not run. */
  runningBuilderPort: number | null;
}

/** The Nix system the profile's guest builds: linux-test is x86_64; nixpkgs' builder matches the Mac. */
export function builderSystem(profile: ProfileName, arch: string = os.arch()): string {
  if (profile === 'darwin-linux-builder' && arch === 'arm64') return 'aarch64-linux';
  return 'x86_64-linux';
}

/**
 * What the machines entry offers for our own builder: as many jobs as the guest has CPUs (on
 * Apple Silicon at most the 8 nixpkgs' virt machine serves: the setting may say more), and for
 * nixpkgs' builder the features its NixOS guest claims (NixOS's default system-features), which
 * are nix-darwin's linux-builder defaults (kvm, benchmark, big-parallel) plus nixos-test: without
 * kvm and nixos-test, Nix refuses NixOS tests and vmTools builds ("a 'aarch64-linux' with features
 * {kvm, nixos-test} is required"), the builds Mac users most need a Linux builder for. Under hvf
 * the guest has no nested KVM, so such builds run QEMU under TCG inside it: slowly, but they run.
 * The linux-test guest (Debian's Nix) claims none.
 */
export function ownBuilderOffer(profile: ProfileName, cpus: number, arch: string = os.arch()): { maxJobs: number; supportedFeatures: string[] } {
  if (profile !== 'darwin-linux-builder') return { maxJobs: cpus, supportedFeatures: [] };
  return { maxJobs: builderCpus(arch === 'x64' ? 'x64' : 'arm64', cpus).cpus, supportedFeatures: ['kvm', 'nixos-test', 'benchmark', 'big-parallel'] };
}

/**
 * settings.json as the core reads it: migrated from an older version, each bad value replaced by
 * its default (repairSettings.ts); all defaults when the file is missing or unusable.
 */
export async function readSettingsFile(file: string, platform: NodeJS.Platform = process.platform): Promise<Settings> {
  // Only a regular file is opened (a FIFO would block for good), and one that is something else
  // is refused as the settings store refuses it: defaults could wire another port than the core's.
  const text = await readRegularFile(file, { advice: 'move it away and try again', maxBytes: SETTINGS_FILE_MAX_BYTES }).then(
    (bytes) => bytes.toString('utf8'),
    (error: unknown) => {
      if (error instanceof NotRegularFileError) throw new BuilderBarError('invalid-settings', `${error.message}.`, null);
      return null;
    },
  );
  if (text === null) return defaultSettings(platform);
  try {
    const raw: unknown = JSON.parse(text);
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      const migrated = migrateSettings(raw as Record<string, unknown>).value;
      return repairSettings({ migrated, defaults: defaultSettings(platform), limits: hostLimits(), file }).settings;
    }
  } catch {
    // fall through: an unreadable file (or one from a newer Builder Bar) is the settings store's to report
  }
  return defaultSettings(platform);
}

/**
 * The Nix a command without a core runs, as the core would: the state dir's nixBinDir setting,
 * then BUILDER_BAR_NIX_BIN_DIR, PATH and Nix's profile directories of `env`.
 */
export async function nixLocatorFromState(paths: StatePaths, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Promise<NixLocator> {
  const { nixBinDir } = await readSettingsFile(paths.settingsFile, platform);
  return new NixLocator({ env, setting: () => nixBinDir });
}

export async function wiringInputsFromState(paths: StatePaths, platform: NodeJS.Platform = process.platform): Promise<WiringInputs> {
  const settings = await readSettingsFile(paths.settingsFile, platform);
  const profile = profileResolver({ getSettings: () => settings, platform, nix: new NixLocator({ env: process.env, setting: () => settings.nixBinDir }) })(settings.profile);
  const files = vmFilesIn(paths.vmDir);
  const boot = await readBootRecord(files);
  const port = boot && boot.profile === settings.profile ? boot.sshPort : settings.hostPort;
  // A pid can be reused by another program, or be another state dir's QEMU (Lima's, UTM's, a
  // copied state dir's): only this VM dir's own QEMU makes the record's port ours.
  const running = boot !== null && (await identifyQemu({ pid: boot.pid, qemuBinaryName: path.basename(boot.qemuBinary), vmDir: files.vmDir, platform })).kind === 'ours';
  // The key to pin is the one the running builder presents, else the one its next start will.
  const policy = running && boot.profile === settings.profile ? hostKeyPolicyOfBoot(profile, boot) : await hostKeyPolicyFor(profile, files);
  const keys = await ensureInstallKeys(paths.keysDir, profile, policy);
  return {
    profile: settings.profile,
    clientPrivateKey: keys.clientPrivateKey,
    clientKeyFile: path.join(paths.keysDir, CLIENT_KEY_FILE),
    runningBuilderPort: running ? boot.sshPort : null,
    remotes: settings.remoteBuilders.map(remoteEndpoint),
    builder: {
      alias: BUILDER_ALIAS,
      port,
      user: profile.sshUser,
      systems: [builderSystem(settings.profile)],
      ...ownBuilderOffer(settings.profile, settings.cpus),
      speedFactor: 1,
      hostPublicKey: keys.pinnedHostKey.publicKey,
      ...(settings.onDemand ? { proxyCommand: ownProxyCommand(paths.stateDir) } : {}),
    },
  };
}

/** A remote builder as the wiring writes it: its own alias, host, port, key and pinned host key. */
export function remoteEndpoint(remote: RemoteBuilder): BuilderEndpoint {
  return {
    alias: `builder-bar-${remote.id}`,
    hostName: remote.host,
    protocol: remote.protocol,
    keyPath: remote.sshKey,
    port: remote.port,
    user: remote.user,
    systems: remote.systems,
    maxJobs: remote.maxJobs,
    speedFactor: remote.speedFactor,
    supportedFeatures: remote.supportedFeatures,
    hostPublicKey: remote.hostKey,
  };
}

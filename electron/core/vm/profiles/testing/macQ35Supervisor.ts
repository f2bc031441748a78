/**
 * A supervisor of the Mac profile's x86_64 (q35) launch under TCG, for the integration tests that
 * run it here: the `darwin-linux-builder` profile over the stand-in nixpkgs, the host's Nix, tcg in
 * hvf's place (the accelerator probe is its own module's to test; kvm does not work here). Every
 * QEMU it starts is recorded, so a test's cleanup can kill what a failed stop left.
 */
import path from 'node:path';
import type { Settings } from '../../../../ipc/contract.js';
import type { NixEnvironment } from '../../../builds/testing/nixTestConf.js';
import type { StatePaths } from '../../../paths.js';
import { BuilderSupervisor } from '../../builderSupervisor.js';
import { createDarwinLinuxBuilderProfile } from '../darwinLinuxBuilder.js';
import type { FakeNixpkgs } from './fakeNixpkgs.js';

export interface MacQ35Options {
  paths: StatePaths;
  getSettings: () => Settings;
  fake: FakeNixpkgs;
  /** The directory of the host Nix's nix-build and nix-store. */
  nixBinDir: string;
  nixEnv: NixEnvironment;
  /** Where the supervisor's log lines go, as `source level text`. */
  logged: string[];
  /** Filled with the pid of every QEMU the supervisor starts. */
  qemuPids: Set<number>;
  /** The stand-in's published host key, when it publishes one of its own. */
  publishedHostKey?: string;
}

export function macQ35Supervisor(options: MacQ35Options): BuilderSupervisor {
  const { fake, nixBinDir } = options;
  const profile = createDarwinLinuxBuilderProfile({
    arch: 'x64',
    platform: 'darwin',
    pin: () => fake.pin,
    nixPrograms: async () => ({ nixBuild: path.join(nixBinDir, 'nix-build'), nixStore: path.join(nixBinDir, 'nix-store') }),
    archiveUrl: fake.archiveUrl,
    nixEnv: options.nixEnv,
    ...(options.publishedHostKey ? { publishedHostKey: options.publishedHostKey } : {}),
  });
  const supervisor = new BuilderSupervisor({
    paths: options.paths,
    getSettings: options.getSettings,
    logs: { append: (source, level, text) => options.logged.push(`${source} ${level} ${text}`) },
    resolveProfile: () => profile,
    chooseAccelerator: async () => ({ name: 'tcg', reason: 'the Mac variant under TCG' }),
    timing: { gracefulStopMs: 20_000 },
  });
  supervisor.onStatus((status) => {
    if (status.pid !== null) options.qemuPids.add(status.pid);
  });
  return supervisor;
}

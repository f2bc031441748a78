/**
 * Default settings. On a Mac they are nixpkgs' darwin.linux-builder defaults (1 core, 3 GiB,
 * 20 GiB, port 31022) so a user moving from it sees the same builder; elsewhere the project's
 * small linux-test guest, which needs far less.
 */
import { SETTINGS_VERSION, type NixpkgsPin, type Settings } from '../../ipc/contract.js';

export const DEFAULT_HOST_PORT = 31022;

/**
 * The most settings.json may hold: with every list full (32 remote builders, 64 tracked
 * repositories) it is tens of KB. A larger file is not Builder Bar's and is never read whole.
 */
export const SETTINGS_FILE_MAX_BYTES = 1024 * 1024;

/**
 * nixos-25.05 as of 2026-01-02. Its narHash was found in two unrelated public pins (a
 * flake.lock-style fetchTree and a fetchTarball whose base32 sha256 is the same hash:
 * `nix hash to-base32` agrees); Nix checks it again when it fetches.
 */
export const DEFAULT_NIXPKGS_PIN: NixpkgsPin = {
  rev: 'ac62194c3917d5f474c1a844b6fd6da2db95077d',
  narHash: 'sha256-16KkgfdYqjaeRGBaYsNrhPRRENs0qzkQVUooNHtoy2w=',
};

export function defaultSettings(platform: NodeJS.Platform = process.platform): Settings {
  const onMac = platform === 'darwin';
  return {
    version: SETTINGS_VERSION,
    profile: onMac ? 'darwin-linux-builder' : 'linux-test',
    cpus: 1,
    memoryMiB: onMac ? 3072 : 1024,
    diskGiB: onMac ? 20 : 4,
    hostPort: DEFAULT_HOST_PORT,
    hostPortAuto: false,
    startOnLaunch: false,
    onDemand: false,
    idleStopMinutes: 30,
    openAtLogin: false,
    restartPolicy: { enabled: true, maxPerMinute: 6, giveUpAfter: 5 },
    logs: { ringLines: 10_000 },
    remoteBuilders: [],
    trackedRepos: [],
    nixBinDir: null,
    builderNixpkgs: DEFAULT_NIXPKGS_PIN,
  };
}

/**
 * How a Nix client reaches its store, and whether the nix-daemon trusts it: the two facts that
 * decide whether builders a client passes are used (a daemon ignores a distrusted client's
 * `builders`, silently on Nix 2.8, with a warning on newer Nix) and who reads the wiring.
 *
 * - The store: `NIX_REMOTE=daemon` or `unix://<socket>` means the daemon (at
 *   NIX_DAEMON_SOCKET_PATH, default /nix/var/nix/daemon-socket/socket); any other NIX_REMOTE
 *   (`local`, a path, `ssh-ng://…`) means no local daemon; unset means Nix's `auto`, which a
 *   caller settles by asking whether the socket answers.
 * - Trust: Nix >= 2.15 asks the daemon itself (`nix store ping --json`, `nix store info --json`
 *   from 2.19; nixFeatures.ts). Older Nix has no such question; callers fall back to
 *   trusted-users from the client's nix.conf, which on a Mac is the daemon's file too.
 *
 * A client never forwards `builders` from its own nix.conf to the daemon (Nix resets the
 * "overridden" mark after loading its config files; only command-line settings are sent), so a
 * client-side wiring reaches a daemon only as `--builders`, and only when the daemon trusts it.
 */
import { nixHas } from './nixFeatures.js';

export const DEFAULT_DAEMON_SOCKET = '/nix/var/nix/daemon-socket/socket';

export type StoreChoice = { kind: 'daemon'; socket: string } | { kind: 'other'; store: string } | { kind: 'auto'; socket: string };

/** What NIX_REMOTE (and NIX_DAEMON_SOCKET_PATH) in this environment choose. */
export function storeChoiceOf(env: Readonly<Record<string, string | undefined>>): StoreChoice {
  const socket = env.NIX_DAEMON_SOCKET_PATH || DEFAULT_DAEMON_SOCKET;
  const remote = env.NIX_REMOTE ?? '';
  if (remote === '' || remote === 'auto') return { kind: 'auto', socket };
  if (remote === 'daemon') return { kind: 'daemon', socket };
  if (remote.startsWith('unix://')) return { kind: 'daemon', socket: remote.slice('unix://'.length).split('?')[0] || socket };
  return { kind: 'other', store: remote };
}

/** The command that asks the daemon whether it trusts this client, or null when this Nix cannot ask. */
export function trustQueryArgs(version: string): string[] | null {
  if (!nixHas(version, 'store-trust-query')) return null;
  return ['--extra-experimental-features', 'nix-command', 'store', nixHas(version, 'store-info-command') ? 'info' : 'ping', '--json'];
}

/**
 * Why a client could not talk to the nix-daemon, from its stderr; null when it did not say so.
 * A daemon whose `allowed-users` leaves the user out accepts the connection and closes it at
 * once; only the daemon's own log says "user '…' is not allowed to connect to the Nix daemon".
 * The client then reads "Connection reset by peer" (2.8: "reading from file: …"; 2.34: "read of
 * N bytes: …") or "Broken pipe" (2.34: "write of 16 bytes: …"), recorded from both versions
 * (detectNix.daemon.integration.test.ts). A socket nobody serves gives "cannot connect to socket
 * at '…': No such file or directory" (or "Connection refused") on both.
 */
export type DaemonConnectionProblem = 'refuses-user' | 'not-answering';

export function daemonConnectionProblem(stderr: string): DaemonConnectionProblem | null {
  const failure =
    /cannot open connection to remote store '(?:daemon|unix:\/\/[^']*)': (.*)/.exec(stderr)?.[1] ?? /cannot connect to socket at '[^']*': (.*)/.exec(stderr)?.[1];
  if (failure === undefined) return null;
  if (/Connection reset by peer|Broken pipe|end of file|unexpected end-of-file/i.test(failure)) return 'refuses-user';
  return 'not-answering';
}

/** Words and a fix for a daemon the client could not talk to. */
export function daemonConnectionWords(problem: DaemonConnectionProblem, user: string, platform: NodeJS.Platform, determinate: boolean): { message: string; fix: string } {
  if (problem === 'refuses-user') {
    return {
      message: `The nix-daemon closes every connection from your user "${user}" as soon as it opens: its allowed-users leaves you out (its log says "user '${user}' is not allowed to connect to the Nix daemon"). No build of yours reaches it, through Builder Bar or not.`,
      fix: `Add your user (or a group of yours, "@staff") to allowed-users in /etc/nix/nix.conf${determinate ? ' (Determinate: /etc/nix/nix.custom.conf)' : ''}, or remove that line (the default allows everyone), and restart the nix-daemon: ${daemonRestartCommand(platform, determinate)}.`,
    };
  }
  return {
    message: 'No nix-daemon answers on its socket: Nix is set up for a daemon (NIX_REMOTE or the socket), but nothing serves it.',
    fix: `Start the nix-daemon: ${platform === 'darwin' ? `sudo launchctl kickstart -k ${macDaemonService(determinate)}` : 'sudo systemctl start nix-daemon.service'}.`,
  };
}

/** `{"trusted":1,...}` (2.15-2.18) or `{"trusted":false,...}` (newer); null when it says nothing about trust. */
export function parseTrustAnswer(stdout: string): boolean | null {
  let answer: unknown;
  try {
    answer = JSON.parse(stdout);
  } catch {
    return null;
  }
  if (typeof answer !== 'object' || answer === null || !('trusted' in answer)) return null;
  const trusted = (answer as { trusted: unknown }).trusted;
  if (typeof trusted === 'boolean') return trusted;
  if (trusted === 0 || trusted === 1) return trusted === 1;
  return null;
}

/** The daemon's own Nix version from `nix store info --json` (`"version":"2.34.8"`); null when it says none. */
export function parseDaemonVersion(stdout: string): string | null {
  try {
    const answer: unknown = JSON.parse(stdout);
    if (typeof answer !== 'object' || answer === null || !('version' in answer)) return null;
    const version = (answer as { version: unknown }).version;
    return typeof version === 'string' && /^\d+\.\d+/.test(version) ? version : null;
  } catch {
    return null;
  }
}

/**
 * The launchd service of the Mac's nix-daemon: the official installer and nix-darwin load
 * `org.nixos.nix-daemon`; Determinate Nix runs its own daemon as `systems.determinate.nix-daemon`.
 */
export function macDaemonService(determinate: boolean): string {
  return `system/${determinate ? 'systems.determinate.nix-daemon' : 'org.nixos.nix-daemon'}`;
}

/** What the admin step runs, as root, after nix.conf changed: the daemon rereads it only at start. */
export function macDaemonRestartArgv(determinate: boolean): string[] {
  return ['/bin/launchctl', 'kickstart', '-k', macDaemonService(determinate)];
}

/** The command that restarts the system's nix-daemon so it rereads nix.conf, as a user types it. */
export function daemonRestartCommand(platform: NodeJS.Platform, determinate = false): string {
  if (platform === 'darwin') return `sudo launchctl kickstart -k ${macDaemonService(determinate)}`;
  return 'sudo systemctl restart nix-daemon.service';
}

/**
 * Nix < 2.15 cannot say whether the daemon trusts the client, but its daemon refuses a repair
 * to an untrusted client before doing anything ("repairing is not allowed because you are not
 * in 'trusted-users'", src/libstore/daemon.cc, wopBuildPaths, in 2.8). Verify asks for the repair
 * of a tiny path it added itself, with no substituter, so a trusted client's answer ("build of
 * … failed") changes nothing either. Only after a build that could use no builder.
 */
export function repairProbeArgs(storePath: string): string[] {
  return ['--realise', '--repair', '--option', 'substituters', '', storePath];
}

export function repairProbeSaysUntrusted(stderr: string): boolean {
  return /repairing is not allowed because you are not in 'trusted-users'/.test(stderr);
}

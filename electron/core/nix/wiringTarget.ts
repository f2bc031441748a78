/**
 * Where the wiring goes. `system` is what a Mac's nix-daemon reads (`/etc/nix`, `/etc/ssh`),
 * written in one admin step; `confDir` is a directory the caller owns, used by tests and by
 * anyone trying Builder Bar without touching `/etc`: Nix reads it through `NIX_CONF_DIR`, and
 * ssh through `NIX_SSHOPTS="-F <dir>/ssh_config"`.
 */
import path from 'node:path';
import { sshConfigPathProblem } from './builderEndpoint.js';
import { logRelayJobFile } from './launchdLogSocket.js';

export type WiringTarget = { kind: 'system'; determinate: boolean } | { kind: 'confDir'; dir: string };

export interface TargetLayout {
  nixConf: string;
  machines: string;
  sshConfig: string;
  knownHosts: string;
  /** The copy of the client key Nix (root's daemon, or the caller) logs in with; 0600. */
  clientKey: string;
  /**
   * The system target's LaunchDaemon that makes the socket root's nix-daemon writes its log to
   * and relays it to the core (launchdLogSocket.ts); one per user. Null for a config directory,
   * whose Nix processes run as the user and write to the core's socket themselves.
   */
  logRelayJob: string | null;
  /** What `builders` is when nix.conf does not set it (Nix's own default for that conf dir). */
  defaultBuilders: string;
  /** The environment that makes Nix use this target; empty for `system`. */
  env: Record<string, string>;
  /** True when writing needs administrator rights (the macOS admin step). */
  needsAdmin: boolean;
}

export function describeTarget(target: WiringTarget): string {
  return target.kind === 'confDir' ? `the config directory ${target.dir}` : 'the system Nix configuration (/etc/nix)';
}

/**
 * The conf dir's path ends up in NIX_SSHOPTS, which Nix splits on whitespace; in nix.conf's
 * `builders = @<dir>/machines` and in a machines line (the key), which Nix cuts at `#` and
 * splits on whitespace; and in the ssh config (IdentityFile, UserKnownHostsFile), where ssh
 * expands `${VAR}` (a `%` is escaped there as `%%`). A path any of them would misread is refused.
 */
export function confDirProblem(dir: string): string | null {
  const long = confDirLengthProblem(dir);
  if (long) return long;
  if (/\s/.test(dir)) return `The config directory "${dir}" contains whitespace; Nix splits NIX_SSHOPTS and machines lines on whitespace. Choose a path without spaces.`;
  if (dir.includes('#')) {
    return `The config directory "${dir}" contains "#", which starts a comment in nix.conf and in a machines file: Nix would read "builders = @${path.join(dir, 'machines')}" cut short at the "#" and never use the builder. Choose a path without "#".`;
  }
  const ssh = sshConfigPathProblem(dir);
  if (ssh) return `The config directory "${dir}" ${ssh}; the ssh config names files in it. Choose a path without it.`;
  return null;
}

/**
 * Why `dir` is too long to hold the wiring's files, or null. macOS's PATH_MAX is 1024 bytes with
 * the NUL; past it every file in the dir fails with ENAMETOOLONG (the CLI checks this first,
 * before Nix is asked about the dir).
 */
export function confDirLengthProblem(dir: string): string | null {
  const bytes = Buffer.byteLength(dir);
  if (bytes <= 1000) return null;
  return `The config directory "${dir.slice(0, 40)}…" is ${bytes} bytes long: its files would be longer than a path may be (1024 bytes on macOS). Choose a shorter path.`;
}

export function targetLayout(target: WiringTarget): TargetLayout {
  if (target.kind === 'confDir') {
    const dir = path.resolve(target.dir);
    const sshConfig = path.join(dir, 'ssh_config');
    return {
      nixConf: path.join(dir, 'nix.conf'),
      machines: path.join(dir, 'machines'),
      sshConfig,
      knownHosts: path.join(dir, 'known_hosts'),
      clientKey: path.join(dir, 'builder-bar_ed25519'),
      logRelayJob: null,
      defaultBuilders: `@${path.join(dir, 'machines')}`,
      env: { NIX_CONF_DIR: dir, NIX_SSHOPTS: `-F ${sshConfig}` },
      needsAdmin: false,
    };
  }
  return {
    // Determinate Nix owns nix.conf and leaves nix.custom.conf to the user: write nothing it manages.
    nixConf: target.determinate ? '/etc/nix/nix.custom.conf' : '/etc/nix/nix.conf',
    machines: '/etc/nix/builder-bar-machines',
    // macOS's /etc/ssh/ssh_config includes ssh_config.d/*, which root's ssh (the daemon's) reads.
    sshConfig: '/etc/ssh/ssh_config.d/100-builder-bar.conf',
    knownHosts: '/etc/nix/builder-bar_known_hosts',
    clientKey: '/etc/nix/builder-bar_ed25519',
    logRelayJob: logRelayJobFile(process.getuid?.() ?? 0),
    defaultBuilders: '@/etc/nix/machines',
    env: {},
    needsAdmin: true,
  };
}

/** Shell lines a user pastes to make Nix use the target (nothing for `system`). */
export function environmentLines(layout: TargetLayout): string[] {
  return Object.entries(layout.env).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
}

/** Single-quoted for display only: nothing here is ever run through a shell. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * What Nix needs to know about one builder, and the three texts that tell it: the machines
 * line, the ssh alias and the known-hosts line. A machines line cannot carry a port (Nix issues
 * 1994, 724), so the port lives in an ssh alias; the host key is pinned twice, in the machines
 * line (Nix passes it to ssh as its own known-hosts file) and in our known-hosts file (which
 * plain `ssh builder-bar-linux` and the alias use).
 */
import { proxyCommandLine, type ProxyCommand } from './proxyCommandLine.js';

export const BUILDER_ALIAS = 'builder-bar-linux';

export interface BuilderEndpoint {
  /** The ssh alias Nix connects to (`ssh://<alias>`). */
  alias: string;
  /** Where the alias points: 127.0.0.1 for the VM's forwarded port, the host of a remote builder. */
  hostName?: string;
  /** `ssh` (nix-store --serve) for the VM; a remote builder says which it speaks. */
  protocol?: 'ssh' | 'ssh-ng';
  /** A remote builder's own private key; the VM uses the install's client key. */
  keyPath?: string;
  /** The ssh port: the VM's forwarded port on 127.0.0.1, or a remote builder's. */
  port: number;
  /** Guest user (`root` in linux-test, `builder` in nixpkgs' builder). */
  user: string;
  /** Nix system types the builder builds, e.g. `x86_64-linux`. */
  systems: string[];
  maxJobs: number;
  speedFactor: number;
  /** Supported features, e.g. `big-parallel`; empty for none. */
  supportedFeatures: string[];
  /** The pinned OpenSSH public-key line the guest presents (`ssh-ed25519 AAAA...`). */
  hostPublicKey: string;
  /** Set when the builder runs on demand: ssh connects through `builder-bar proxy` (proxyCommandLine.ts). */
  proxyCommand?: ProxyCommand;
}

/** The key-type and base64 blob of a public-key line, dropping its comment. */
export function keyWithoutComment(publicKeyLine: string): string {
  const [type, blob] = publicKeyLine.trim().split(/\s+/);
  if (!type || !blob) throw new Error(`Not an OpenSSH public-key line: ${publicKeyLine}`);
  return `${type} ${blob}`;
}

/** The machines line's last field (nix-darwin's `publicHostKey`): base64 of the key line without its comment. */
export function hostKeyBase64(builder: BuilderEndpoint): string {
  return Buffer.from(keyWithoutComment(builder.hostPublicKey)).toString('base64');
}

/** The private key Nix logs in with: a remote builder's own, or the install's client key for the VM. */
export function keyPathOf(builder: BuilderEndpoint, clientKeyPath: string): string {
  return builder.keyPath ?? clientKeyPath;
}

/**
 * `URI systems sshKey maxJobs speedFactor supportedFeatures mandatoryFeatures base64HostKey`,
 * `-` for none. The URI has no user: the alias says `User`, so the same line works for any guest.
 */
export function machinesLine(builder: BuilderEndpoint, clientKeyPath: string): string {
  const keyPath = keyPathOf(builder, clientKeyPath);
  const problem = machinesPathProblem(keyPath);
  if (problem) throw new Error(`The key path "${keyPath}" ${problem}.`);
  const features = builder.supportedFeatures.length > 0 ? builder.supportedFeatures.join(',') : '-';
  const hostKey = hostKeyBase64(builder);
  return [
    `${builder.protocol ?? 'ssh'}://${builder.alias}`,
    builder.systems.join(','),
    keyPath,
    String(builder.maxJobs),
    String(builder.speedFactor),
    features,
    '-',
    hostKey,
  ].join(' ');
}

/**
 * Why a path cannot stand in a machines line or nix.conf, or null. Nix cuts both at `#` (the
 * rest is a comment: Nix 2.8 and 2.34 alike) and splits them on whitespace, so the path would
 * silently name another file.
 */
export function machinesPathProblem(file: string): string | null {
  if (/\s/.test(file)) return 'contains whitespace, on which Nix splits a machines line and nix.conf values';
  if (file.includes('#')) return 'contains "#", which starts a comment in nix.conf and in a machines file: Nix would read the path cut short at the "#"';
  return null;
}

/**
 * Why a path cannot be an `IdentityFile` or `UserKnownHostsFile` value, or null. ssh expands
 * `%` tokens there (sshConfigPath escapes them as `%%`, a literal `%`, ssh_config TOKENS) and
 * `${VAR}` environment variables, which have no escape; it splits the value on whitespace and
 * treats quotes; a line break would end the line.
 */
export function sshConfigPathProblem(file: string): string | null {
  if (/[\p{Cc}\u2028\u2029]/u.test(file)) return 'holds a control character, which an ssh config line cannot carry';
  if (/\s/.test(file)) return 'contains whitespace, on which ssh splits a config value';
  if (file.includes('"') || file.includes("'")) return 'contains a quote, which ssh reads as quoting in a config value';
  if (file.includes('${')) return 'contains "${", which ssh expands as an environment variable in IdentityFile and UserKnownHostsFile (there is no escape for it)';
  return null;
}

/**
 * A path as an ssh_config value: `%` doubled, since ssh expands %-tokens in these keywords
 * (`%%` is a literal `%`). What cannot be escaped (sshConfigPathProblem) the plan refuses first.
 */
export function sshConfigPath(file: string): string {
  return file.replaceAll('%', '%%');
}

/**
 * The alias's lines. `knownHostsPath` null leaves ssh's own known-hosts files in charge (the
 * nix-darwin form pins the key in /etc/ssh/ssh_known_hosts through programs.ssh.knownHosts).
 */
export function sshAliasLines(builder: BuilderEndpoint, clientKeyPath: string, knownHostsPath: string | null): string[] {
  const keyPath = keyPathOf(builder, clientKeyPath);
  return [
    `Host ${builder.alias}`,
    `  HostName ${builder.hostName ?? '127.0.0.1'}`,
    `  Port ${builder.port}`,
    `  User ${builder.user}`,
    `  HostKeyAlias ${builder.alias}`,
    `  IdentityFile ${sshConfigPath(keyPath)}`,
    '  IdentitiesOnly yes',
    '  StrictHostKeyChecking yes',
    // On demand: the proxy starts the builder and carries the bytes; ssh still checks the key.
    ...(builder.proxyCommand ? [`  ProxyCommand ${proxyCommandLine(builder.proxyCommand)}`] : []),
    ...(knownHostsPath === null ? [] : [`  UserKnownHostsFile ${sshConfigPath(knownHostsPath)}`]),
    // A dropped connection mid-build can hang Nix forever (FACTS.md section 2).
    '  ServerAliveInterval 30',
    '  ServerAliveCountMax 3',
  ];
}

/** Keyed by the alias: HostKeyAlias makes ssh look the key up under it, whatever the port. */
export function knownHostsLine(builder: BuilderEndpoint): string {
  return `${builder.alias} ${keyWithoutComment(builder.hostPublicKey)}`;
}

/**
 * Parsing what Nix says about itself: `nix --version`, the effective configuration
 * (`nix show-config --json` on Nix 2.4-2.18, `nix config show --json` later), trusted-users and
 * machines lines. Pure, so it is tested against outputs recorded from real Nix versions.
 */

export interface NixVersion {
  /** `2.8.0` */
  version: string;
  /** Determinate Nix says so in its version line: `nix (Determinate Nix 3.6.2) 2.29.0`. */
  determinate: boolean;
}

export function parseNixVersion(stdout: string): NixVersion | null {
  const line = stdout.trim().split('\n')[0] ?? '';
  const match = /^nix \(([^)]*)\) (\S+)/.exec(line.trim());
  if (!match) return null;
  return { version: match[2]!, determinate: /determinate/i.test(match[1]!) };
}

/**
 * The effective value of every setting. Nix 2.4+ prints `{name: {value, defaultValue, ...}}`;
 * older JSON printed bare values. Both are read; anything else is not a config dump.
 */
export function parseConfigJson(stdout: string): Map<string, unknown> {
  const json: unknown = JSON.parse(stdout);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('nix config output is not a JSON object');
  const settings = new Map<string, unknown>();
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (typeof entry === 'object' && entry !== null && !Array.isArray(entry) && 'value' in entry) {
      settings.set(name, (entry as { value: unknown }).value);
    } else {
      settings.set(name, entry);
    }
  }
  return settings;
}

/** A list-valued setting as words, whether Nix gave an array or a space-separated string. */
export function settingWords(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  if (typeof value === 'string') return value.split(/\s+/).filter((word) => word !== '');
  return [];
}

export function settingString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.join(' ');
  return value === undefined || value === null ? '' : String(value);
}

/**
 * Nix trusts `*`, a listed user name (root only when listed, as it is by default), or a member of a listed `@group`. (`allowed-users`
 * only lets a user connect to the daemon; the daemon ignores an untrusted client's `builders`.)
 */
export function isTrustedUser(trustedUsers: readonly string[], user: string, groups: readonly string[]): boolean {
  // No exception for root: Nix's daemon matches every peer, root too, against trusted-users alone
  // (authPeer in src/nix/daemon.cc); root is trusted only because the default list names it.
  return trustedUsers.some((entry) => entry === '*' || entry === user || (entry.startsWith('@') && groups.includes(entry.slice(1))));
}

export interface MachineEntry {
  uri: string;
  /** The host part of the URI (alias, name or address), without user. */
  host: string;
  systems: string[];
  /** Where the entry came from: `nix.conf` or a machines file's path. */
  source: string;
}

/** Machines lines (`uri systems key ...`), comments and blank lines skipped. */
export function parseMachineLines(text: string, source: string): MachineEntry[] {
  const entries: MachineEntry[] = [];
  for (const raw of text.split(/[;\n]/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '' || line.startsWith('@')) continue;
    const [uri, systems] = line.split(/\s+/);
    if (!uri) continue;
    const withoutScheme = uri.replace(/^[a-z-]+:\/\//, '');
    const host = (withoutScheme.split('@').pop() ?? withoutScheme).split(/[/?]/)[0] ?? '';
    entries.push({ uri, host, systems: systems && systems !== '-' ? systems.split(',') : [], source });
  }
  return entries;
}

/** The `@file` references of a builders value, in order. */
export function machinesFilesOf(builders: string): string[] {
  return builders
    .split(/[;\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('@'))
    .map((entry) => entry.slice(1).trim());
}

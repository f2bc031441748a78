/**
 * Which Nix version has which feature, in one place, so code that needs a feature asks
 * "does this Nix have X" and a user who lacks it hears "X needs Nix >= V; <dir> has V'", not a
 * cryptic error from the old Nix. Each version comes from Nix's own release notes (checked in
 * NixOS/nix, doc/manual/source/release-notes/rl-*.md):
 *
 * - flake-url-percent-decoding 2.19: "URL flake references now support percent-encoded
 *   characters" (rl-2.19, NixOS/nix#6614). The URL parser began decoding paths in 2.18
 *   (73696ec7, "fix double-encoding of URLs"), but only 2.19 documents flake references; 2.8
 *   looks for the encoded path on disk and fails with a git error that names no cause.
 * - config-show-command 2.20: `nix show-config` renamed to `nix config show` (rl-2.20, #9477);
 *   older Nix only has `show-config`, newer prints a deprecation warning for it.
 * - store-trust-query 2.15: `nix store ping --json` reports whether the daemon trusts this
 *   client (`"trusted": 1`), asked of the daemon itself (src/nix/ping-store.cc at tag 2.15.0,
 *   `store->isTrustedClient()`; 2.14 has no such field). Older Nix can only read trusted-users
 *   from its own nix.conf, which on a Mac is the daemon's too.
 * - store-info-command 2.19: `nix store ping` became `nix store info` (src/nix/store-info.cc
 *   first at tag 2.19.0); newer Nix warns that `ping` is a deprecated alias.
 * - json-log-path 2.30: the `json-log-path` setting (rl-2.30, #13003).
 * - ssh-store-url-port 2.31: `user@host:port` in store URIs, remote builders included (rl-2.31,
 *   #3425); before, a port could only come from ssh_config or NIX_SSHOPTS.
 *
 * Determinate Nix prints the Nix version it is built on (`nix (Determinate Nix 3.6.2) 2.29.0`),
 * which `parseNixVersion` reads, so the same table applies to it.
 */
import { BuilderBarError } from '../errors.js';

export type NixFeature =
  | 'flake-url-percent-decoding'
  | 'config-show-command'
  | 'store-trust-query'
  | 'store-info-command'
  | 'json-log-path'
  | 'ssh-store-url-port';

export interface NixFeatureInfo {
  /** The first Nix version that has it. */
  since: string;
  /** What it is, in words that read well before "needs Nix >= V". */
  what: string;
}

export const NIX_FEATURES: Readonly<Record<NixFeature, NixFeatureInfo>> = {
  'flake-url-percent-decoding': { since: '2.19', what: 'Reading a percent-encoded path (a space, # or ?) in a flake URL' },
  'config-show-command': { since: '2.20', what: '`nix config show`' },
  'store-trust-query': { since: '2.15', what: 'Asking the nix-daemon whether it trusts this user' },
  'store-info-command': { since: '2.19', what: '`nix store info`' },
  'json-log-path': { since: '2.30', what: 'The json-log-path setting (every build on the machine in one queue)' },
  'ssh-store-url-port': { since: '2.31', what: 'A port in an ssh store URL' },
};

/** `2.8.0` < `2.10`: compares the numeric parts; a pre-release suffix (`2.29.0pre…`) is ignored. */
export function nixVersionAtLeast(version: string, wanted: string | readonly number[]): boolean {
  const want = typeof wanted === 'string' ? numericParts(wanted) : wanted;
  const parts = numericParts(version);
  for (let i = 0; i < want.length; i += 1) {
    const have = Number.isFinite(parts[i]) ? parts[i]! : 0;
    if (have !== want[i]) return have > want[i]!;
  }
  return true;
}

function numericParts(version: string): number[] {
  return version.split(/[.+-]/).map((part) => Number.parseInt(part, 10));
}

/** Whether a Nix of `version` has the feature. */
export function nixHas(version: string, feature: NixFeature): boolean {
  return nixVersionAtLeast(version, NIX_FEATURES[feature].since);
}

/** The Nix a feature check looks at: its version and where it lives. */
export interface NixAtHand {
  version: string;
  binDir: string;
}

export type NixFeatureCheck = { ok: true } | { ok: false; feature: NixFeature; needs: string; has: string; message: string };

export function checkNixFeature(nix: NixAtHand, feature: NixFeature): NixFeatureCheck {
  if (nixHas(nix.version, feature)) return { ok: true };
  const { since, what } = NIX_FEATURES[feature];
  return { ok: false, feature, needs: since, has: nix.version, message: `${what} needs Nix >= ${since}; ${nix.binDir} has Nix ${nix.version}.` };
}

/**
 * Throws `nix-too-old` when the Nix lacks the feature. The hint says what else the user can do;
 * without one it says to use a newer Nix, and how to point Builder Bar at it.
 */
export function requireNixFeature(nix: NixAtHand, feature: NixFeature, hint?: string): void {
  const check = checkNixFeature(nix, feature);
  if (check.ok) return;
  throw new BuilderBarError(
    'nix-too-old',
    check.message,
    hint ?? `Install Nix ${check.needs} or later, or point Builder Bar at one: builder-bar settings set nixBinDir=/path/to/its/bin.`,
  );
}

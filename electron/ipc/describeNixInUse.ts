/**
 * The Nix in use in words, the same in `builder-bar status`, the dashboard, the settings form and
 * the core's log: "2.34.8 in /nix/var/nix/profiles/default/bin (found in Nix's profile
 * directories)", or why there is none.
 */
import type { NixInUse } from './contract.js';

type Choice = Extract<NixInUse, { found: true }>['chosenBy'];

const CHOSEN_BY: Record<Choice, string> = {
  setting: 'the nixBinDir setting',
  environment: 'BUILDER_BAR_NIX_BIN_DIR',
  path: "found on the app's PATH",
  'login-shell': "found on your login shell's PATH",
  profile: "found in Nix's profile directories",
};

/** "2.34.8 in /dir (found on PATH)"; "Determinate Nix 2.29.0 in …" for Determinate. */
export function describeNixVersionAndPlace(nix: { version: string; determinate: boolean; binDir: string; chosenBy: Choice }): string {
  return `${nix.determinate ? 'Determinate Nix ' : ''}${nix.version} in ${nix.binDir} (${CHOSEN_BY[nix.chosenBy]})`;
}

/** One line: the Nix in use, or "none found: <why>". */
export function describeNixInUse(nix: NixInUse): string {
  if (!nix.found) return `none found: ${nix.reason}`;
  // Another `nix` further down the search path is not run: say so, so a terminal running that
  // one (or a daemon of another version) is no mystery.
  const others = (nix.shadowed ?? []).map((entry) => `${entry.binDir} (${CHOSEN_BY[entry.chosenBy]})`);
  return others.length > 0 ? `${describeNixVersionAndPlace(nix)}; not used: ${others.join(', ')}` : describeNixVersionAndPlace(nix);
}

/**
 * Whether the Nix in use can read a work tree whose `{repoUrl}` needed percent-encoding (a path
 * with a space, `#`, `?`…). Which Nix decodes such a flake URL is nixFeatures.ts's to know
 * (`flake-url-percent-decoding`); older Nix looks for the encoded path on disk and fails with a
 * git error that names no cause ("couldn't find remote ref refs/heads/master"), and a raw space
 * is "not a valid URL" in every version. So Builder Bar refuses such a prebuild up front, saying
 * what to do.
 */
import { checkNixFeature, type NixAtHand } from '../nix/nixFeatures.js';
import { BuilderBarError } from '../errors.js';
import { gitFileUrl } from './expandFullBuildCommand.js';

/** True when the path changes under percent-encoding, i.e. only a Nix that decodes reads its URL. */
export function repoUrlNeedsDecoding(repo: string): boolean {
  return gitFileUrl(repo) !== `git+file://${repo}`;
}

/**
 * Rejects with a clear error when `fullBuild` puts `{repoUrl}` in a flake reference for a path
 * the Nix in use cannot decode. That Nix is asked for only then; null (none found) lets the
 * build go ahead, and the build itself says Nix is missing.
 */
export async function assertRepoUrlReadable(fullBuild: readonly string[], repo: string, hostNix: () => Promise<NixAtHand | null>): Promise<void> {
  if (!fullBuild.some((arg) => arg.includes('{repoUrl}')) || !repoUrlNeedsDecoding(repo)) return;
  const nix = await hostNix();
  if (nix === null) return;
  const check = checkNixFeature(nix, 'flake-url-percent-decoding');
  if (check.ok) return;
  throw new BuilderBarError(
    'nix-too-old',
    `Cannot prebuild the flake at ${repo}: its path has characters a flake URL must percent-encode (a space, # or ?). ${check.message}`,
    `Use the default nix-build full-build command (Settings… in the Baselines panel), move the repository to a plain path, or use Nix ${check.needs} or later (builder-bar settings set nixBinDir=/path/to/its/bin).`,
  );
}

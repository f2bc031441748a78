/**
 * Whether the host's Nix can read a work tree whose `{repoUrl}` needed percent-encoding (a path
 * with a space, `#`, `?`…). Nix decodes `%xx` in a flake URL's path from 2.10 on
 * (NixOS/nix#6614); 2.8 and 2.9 look for the encoded path on disk and fail with a git error that
 * names no cause ("couldn't find remote ref refs/heads/master"), and a raw space is "not a valid
 * URL" in every version. So Builder Bar refuses such a prebuild up front, saying what to do.
 */
import { BuilderBarError } from '../errors.js';
import { gitFileUrl } from './expandFullBuildCommand.js';

/** True when the path changes under percent-encoding, i.e. only Nix >= 2.10 reads its URL. */
export function repoUrlNeedsDecoding(repo: string): boolean {
  return gitFileUrl(repo) !== `git+file://${repo}`;
}

/** `2.8.0` < `2.10.0`: compares the numeric parts; a pre-release suffix is ignored. */
export function nixVersionAtLeast(version: string, wanted: readonly number[]): boolean {
  const parts = version.split(/[.+-]/).map((part) => Number.parseInt(part, 10));
  for (let i = 0; i < wanted.length; i += 1) {
    const have = Number.isFinite(parts[i]) ? parts[i]! : 0;
    if (have !== wanted[i]) return have > wanted[i]!;
  }
  return true;
}

/**
 * Rejects with a clear error when `fullBuild` puts `{repoUrl}` in a flake reference for a path
 * this Nix cannot decode. Nix's version is asked for only then; null (unknown) lets the build go
 * ahead, and Nix says what is wrong itself.
 */
export async function assertRepoUrlReadable(fullBuild: readonly string[], repo: string, hostNixVersion: () => Promise<string | null>): Promise<void> {
  if (!fullBuild.some((arg) => arg.includes('{repoUrl}')) || !repoUrlNeedsDecoding(repo)) return;
  const nixVersion = await hostNixVersion();
  if (nixVersion === null || nixVersionAtLeast(nixVersion, [2, 10])) return;
  throw new BuilderBarError(
    'invalid-settings',
    `Nix ${nixVersion} cannot read a flake at ${repo}: its path has characters a flake URL must percent-encode (a space, # or ?), which Nix decodes only from 2.10 on.`,
    'Use the default nix-build full-build command (Settings… in the Baselines panel), move the repository to a plain path, or upgrade Nix to 2.10 or later.',
  );
}

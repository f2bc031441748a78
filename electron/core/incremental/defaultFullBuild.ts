/**
 * Full-build commands for a tracked repository (`TrackedRepo.fullBuild`), built on Builder Bar's
 * incremental helper `resources/nix/incremental.nix` (README, "Incremental Haskell builds").
 * Placeholders are replaced one argument at a time by `expandFullBuildCommand`.
 */
import type { FullBuildCommand } from '../../ipc/baselinesContract.js';

/**
 * The default: the repository's own `nix/incremental.nix` (from
 * `resources/nix/project-template/incremental.nix`) building `full` from the baseline sha.
 * The full build's derivation depends only on that sha, so branches that share a baseline share
 * it and the prebuilt output is the one the user's `-A incremental` build later reuses.
 * `--no-out-link`: a prebuild must not drop a `result` symlink in whatever directory the build
 * queue runs in.
 */
export const DEFAULT_FULL_BUILD_COMMAND: FullBuildCommand = [
  'nix-build',
  '{repo}/nix/incremental.nix',
  '--argstr',
  'baselineRev',
  '{rev}',
  '-A',
  'full',
  '--no-out-link',
];

/**
 * The flake form (`resources/nix/flake-template/flake.nix`): the baseline is the flake input
 * `baseline`, overridden with the computed revision. `--override-input` implies
 * `--no-write-lock-file` (and expandFullBuildCommand adds it to every `nix build` anyway), so
 * the repository's lock file is never touched. The build queue reads a `nix build`'s output
 * paths with `--json`, which Nix 2.8 has too (fullBuildNixSupport.ts). The repository goes
 * in as `{repoUrl}` (percent-encoded), so a path with a space, `?` or `#` works too.
 */
export const FLAKE_FULL_BUILD_COMMAND: FullBuildCommand = [
  'nix',
  'build',
  '--extra-experimental-features',
  'nix-command flakes',
  '{repoUrl}#full',
  '--override-input',
  'baseline',
  '{repoUrl}?rev={rev}',
  '--no-link',
];

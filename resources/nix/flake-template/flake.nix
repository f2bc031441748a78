# The flake form of Builder Bar's incremental builds. The baseline enters as a flake input that
# Builder Bar overrides with the revision it computed, so the flake itself never needs the
# unmerged `fetchGit { date }` nor its own `.git` (a flake's source has none):
#   full build (Builder Bar prebuilds it):
#     nix build git+file://<repo>#full --override-input baseline 'git+file://<repo>?rev=<baseline sha>&allRefs=1'
#   incremental build of the work tree:
#     nix build .#incremental --override-input baseline 'git+file://<repo>?rev=<baseline sha>&allRefs=1'
# `--override-input` implies `--no-write-lock-file`: the lock file never records a baseline.
# In a git repository a flake sees only tracked files: `git add` new files before building.
# Files expected next to this flake.nix:
#   nix/builder-bar-incremental.nix   a copy of Builder Bar's resources/nix/incremental.nix
#   nix/build.nix                     { src, previous, system } -> derivation (see the README;
#                                     for Haskell use `haskellFromSources` instead)
{
  description = "Incremental builds against the baseline Builder Bar computed";

  # Never used as is: Builder Bar always overrides it. Building without the override fails on
  # this address, which says why.
  inputs.baseline = {
    url = "git+file:///builder-bar-baseline-not-set--pass-override-input-baseline";
    flake = false;
  };

  outputs = { self, baseline }:
    let
      helper = import ./nix/builder-bar-incremental.nix;
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forSystem = system:
        let
          builds = helper.genericFromSources {
            baselineSrc = baseline;
            src = self;
            build = import ./nix/build.nix;
            inherit system;
          };
        in {
          inherit (builds) full incremental;
          default = builds.incremental;
        };
    in {
      packages = builtins.listToAttrs (map (system: { name = system; value = forSystem system; }) systems);
    };
}

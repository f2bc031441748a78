# Copy to `nix/incremental.nix` in your repository, next to a copy of Builder Bar's
# `resources/nix/incremental.nix` saved as `nix/builder-bar-incremental.nix` and your builder
# `nix/build.nix` ({ src, previous } -> derivation). Builder Bar's default full-build command is
#   nix-build <repo>/nix/incremental.nix --argstr baselineRev <baseline sha> -A full
# and your incremental build is
#   nix-build nix/incremental.nix --argstr baselineRev <baseline sha> -A incremental
# (`rev` defaults to the work tree as it is; pass `--argstr rev <sha>` to build a commit).
# For Haskell, call `.haskell { inherit pkgs; package = ...; ... }` instead (see the README).
{ baselineRev, rev ? null, repo ? toString ../. }:
(import ./builder-bar-incremental.nix).generic {
  inherit repo baselineRev rev;
  build = import ./build.nix;
}

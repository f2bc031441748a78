# Incremental builds against a baseline revision Builder Bar computed (FACTS.md section 3).
#
# The unmerged `builtins.fetchGit { date = ...; }` (Nix PR 7362) would pick the baseline commit
# inside Nix; stock Nix rejects `date`. Builder Bar computes the baseline itself (boundary B,
# `git rev-list --before=B -1 <branch>`, root fallback) and passes its sha here, so this file
# works with stock Nix (2.8 and later) and the full build's derivation depends only on that sha:
# every branch sharing a baseline shares one full build, and Builder Bar can prebuild it.
#
# Import it; it is a set of functions:
#   generic            any builder that can reuse a previous output directory
#   haskell            nixpkgs' doInstallIntermediates / previousIntermediates (GHC >= 9.4)
#   *FromSources       the same with sources already fetched (the flake form passes its inputs)
#   sourceAt           the tracked files of a git repository at a revision
let
  isFullSha = rev: builtins.isString rev && builtins.match "[0-9a-f]{40}([0-9a-f]{24})?" rev != null;

  requireSha = what: rev:
    if isFullSha rev then rev
    else throw "builder-bar incremental: ${what} must be a full commit sha (40 hex digits), got ${builtins.toJSON rev}";

  # What the incremental build reuses: the full build's `intermediates` output when it has one
  # (the Haskell shape), else its whole output directory.
  productsOf = full: full.intermediates or full;
in rec {
  # The tracked files of `repo` at `rev` (a full sha), as a store path. `allRefs` because a
  # baseline may only be reachable from a branch other than HEAD. With `rev = null` it is the
  # work tree as it is now (tracked files, uncommitted changes included).
  sourceAt = { repo, rev ? null, ref ? null }:
    builtins.fetchGit ({ url = repo; }
      // (if rev == null then { } else { rev = requireSha "rev" rev; allRefs = true; })
      // (if ref == null then { } else { inherit ref; }));

  # build :: { src, previous[, system] } -> derivation
  #   src       the project source to build
  #   previous  null for the full build; for the incremental build, the full build's products
  #             (its `intermediates` output if it has one, else its `out`) to start from.
  #   system    passed only when given here (flakes evaluate purely: no builtins.currentSystem)
  # The full build is built from `baselineSrc` alone, so it is the same derivation for every
  # current revision that shares the baseline.
  genericFromSources = { baselineSrc, src, build, system ? null }:
    let
      withSystem = args: if system == null then args else args // { inherit system; };
      full = build (withSystem { src = baselineSrc; previous = null; });
      incremental = build (withSystem { inherit src; previous = productsOf full; });
    in { inherit full incremental; previous = productsOf full; };

  generic = { repo, baselineRev, rev ? null, ref ? null, build }:
    genericFromSources {
      baselineSrc = sourceAt { inherit repo; rev = requireSha "baselineRev" baselineRev; };
      src = sourceAt { inherit repo rev ref; };
      inherit build;
    } // { inherit baselineRev; };

  # package: a Haskell package from nixpkgs' Haskell infrastructure (e.g.
  # `pkgs.haskellPackages.callCabal2nix "my-app" ./. { }`); its `src` is replaced by the
  # baseline's for the full build and by the current one for the incremental build.
  #   full         installs dist/build into a separate `intermediates` output
  #   incremental  starts from the full build's intermediates (nixpkgs PR 227985)
  # GHC >= 9.4 (earlier GHCs recompile on timestamps); Paths_* modules and linking always rerun.
  haskellFromSources = { pkgs, package, baselineSrc, src }:
    let
      inherit (pkgs.haskell.lib.compose) overrideCabal;
      full = overrideCabal (drv: {
        src = baselineSrc;
        doInstallIntermediates = true;
        enableSeparateIntermediatesOutput = true;
      }) package;
      incremental = overrideCabal (drv: {
        inherit src;
        previousIntermediates = full.intermediates;
      }) package;
    in { inherit full incremental; previous = full.intermediates; };

  haskell = { pkgs, package, repo, baselineRev, rev ? null, ref ? null }:
    haskellFromSources {
      inherit pkgs package;
      baselineSrc = sourceAt { inherit repo; rev = requireSha "baselineRev" baselineRev; };
      src = sourceAt { inherit repo rev ref; };
    } // { inherit baselineRev; };
}

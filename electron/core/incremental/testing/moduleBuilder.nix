# A generic builder that can reuse a previous output directory, standing in for GHC: every
# `modules/*.mod` file is a module; an unchanged module's object is copied from `previous`,
# a changed or new one is "compiled" (stamped with this build's random nonce). The manifest
# records which modules were compiled and which reused, so a test can prove reuse, and the
# version of the Nix that evaluated it (`builtins.nixVersion`), so a test knows which Nix ran.
# Builders have no PATH: /bin/sh, shell builtins and absolute /usr/bin paths (sandbox off).
{ src, previous, system ? builtins.currentSystem }:
derivation ({
  name = "bb-modules";
  inherit system;
  builder = "/bin/sh";
  outputs = [ "out" "intermediates" ];
  inherit src;
  nixVersion = builtins.nixVersion;
  args = [ "-c" ''
    set -eu
    bin=/usr/bin
    read nonce < /proc/sys/kernel/random/uuid
    $bin/mkdir -p "$out" "$intermediates/objects"
    compiled=""
    reused=""
    for module in "$src"/modules/*.mod; do
      name=''${module##*/}
      name=''${name%.mod}
      if [ -n "''${previous:-}" ] && [ -f "$previous/objects/$name.src" ] && $bin/cmp -s "$module" "$previous/objects/$name.src"; then
        $bin/cp "$previous/objects/$name.o" "$intermediates/objects/$name.o"
        reused="$reused $name"
      else
        { echo "object $name"; echo "compiled-by $nonce"; $bin/cat "$module"; } > "$intermediates/objects/$name.o"
        compiled="$compiled $name"
      fi
      $bin/cp "$module" "$intermediates/objects/$name.src"
    done
    echo "$nonce" > "$intermediates/nonce"
    {
      echo "nonce $nonce"
      echo "nix $nixVersion"
      echo "previous ''${previous:-none}"
      echo "compiled$compiled"
      echo "reused$reused"
    } > "$out/manifest"
    $bin/cat "$intermediates"/objects/*.o > "$out/program"
  '' ];
} // (if previous == null then { } else { inherit previous; }))

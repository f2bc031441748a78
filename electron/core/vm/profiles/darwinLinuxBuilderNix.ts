/**
 * How Builder Bar gets nixpkgs' `darwin.linux-builder` guest without its run script.
 * Upstream's `create-builder` runs the NixOS VM script, which forwards port 31022 on every
 * interface, keeps its disk in the working directory and rebuilds the store image at each
 * boot. We build the same pieces once, as one derivation on the Mac, and run QEMU ourselves:
 *
 *   system        the guest's NixOS toplevel
 *   kernel        toplevel/kernel
 *   initrd        the initrd the VM module boots directly (virtualisation.directBoot.initrd)
 *   kernel-params toplevel's kernel-params + init= + regInfo= + the module's serial consoles
 *   store.img     the erofs image of the guest's store closure (label nix-store), as the VM
 *                 module makes it (useNixStoreImage = true)
 *   mkfs.ext4     e2fsprogs, to format the root disk (label nixos) on first use
 *
 * Read from nixpkgs nixos/modules/virtualisation/qemu-vm.nix and
 * nixos/modules/profiles/nix-builder-vm.nix.
 */

export const DEFAULT_NIXPKGS_FLAKE = 'nixpkgs';

/** A flake reference we put inside a Nix string literal: no quotes, backslashes or `${`. */
export function checkFlakeRef(flakeRef: string): string {
  if (!/^[A-Za-z0-9:/._?=&+~#-]+$/.test(flakeRef)) {
    throw new Error(`Unsupported characters in the nixpkgs flake reference ${JSON.stringify(flakeRef)}`);
  }
  return flakeRef;
}

export function linuxBuilderPiecesExpression(flakeRef: string): string {
  const ref = checkFlakeRef(flakeRef);
  return `
let
  nixpkgs = builtins.getFlake "${ref}";
  builder = nixpkgs.legacyPackages.\${builtins.currentSystem}.darwin.linux-builder;
  config = builder.nixosConfig;
  pkgs = config.virtualisation.host.pkgs;
  lib = pkgs.lib;
  toplevel = config.system.build.toplevel;
  regInfo = pkgs.closureInfo { rootPaths = config.virtualisation.additionalPaths; };
  storeClosure = pkgs.closureInfo { rootPaths = [ toplevel regInfo ]; };
  consoles = lib.concatMapStringsSep " " (c: "console=\${c}") config.virtualisation.qemu.consoles;
in
pkgs.runCommand "builder-bar-linux-builder" {
  nativeBuildInputs = [ pkgs.gnutar pkgs.erofs-utils ];
} ''
  mkdir -p $out
  ln -s \${toplevel} $out/system
  ln -s \${toplevel}/kernel $out/kernel
  ln -s \${config.virtualisation.directBoot.initrd} $out/initrd
  ln -s \${pkgs.e2fsprogs}/bin/mkfs.ext4 $out/mkfs.ext4
  printf '%s' "$(cat \${toplevel}/kernel-params) init=\${toplevel}/init regInfo=\${regInfo}/registration \${consoles}" > $out/kernel-params
  tar --create --absolute-names --verbatim-files-from \\
    --transform 'flags=rSh;s|/nix/store/||' \\
    --transform 'flags=rSh;s|~nix~case~hack~[[:digit:]]\\+||g' \\
    --files-from \${storeClosure}/store-paths \\
    | mkfs.erofs --quiet --force-uid=0 --force-gid=0 -L nix-store \\
        -U eb176051-bd15-49b7-9e6b-462e0b467019 -T 0 --tar=f $out/store.img
''
`;
}

/** `nix build` of the pieces: no result symlink in any cwd, the store path on stdout. */
export function nixBuildPiecesArgs(flakeRef: string = DEFAULT_NIXPKGS_FLAKE): string[] {
  return [
    'build',
    '--extra-experimental-features', 'nix-command flakes',
    '--no-link',
    '--print-out-paths',
    // getFlake of an unlocked reference ("nixpkgs" from the registry) needs impure evaluation.
    '--impure',
    '--expr', linuxBuilderPiecesExpression(flakeRef),
  ];
}

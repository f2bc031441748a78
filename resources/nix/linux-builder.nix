# Builder Bar's Mac builder: nixpkgs' own darwin.linux-builder, from one pinned revision, with
# host-side options only, so the Linux closure is the one the binary cache already has. Built
# with `nix-build` into a GC root in Builder Bar's state dir, once per pin; a start runs the
# result and never evaluates nixpkgs again.
#
# Configured the way nix-darwin's linux-builder module does it (`darwin.linux-builder.override`
# appending a module), and run the way nixpkgs' `create-builder` runs it: its `run-*-vm` script
# with KEYS pointing at a store path. What Builder Bar decides at start goes through that
# script's environment (see electron/core/vm/profiles/runScriptEnv.ts).
{
  # https://github.com/NixOS/nixpkgs/archive/<rev>.tar.gz, or a local copy in tests.
  url,
  # The narHash of the unpacked source (as flake.lock records it); Nix refuses anything else.
  narHash,
  # This install's own ssh host key instead of the one nixpkgs publishes (whose private half is
  # public). Changes the guest's closure, so it is not in the binary cache: it is built on the
  # stock builder once that runs. The key itself never enters the Nix store (any local user can
  # read the store): QEMU hands it in at every start through fw_cfg (QEMU_OPTS, see
  # electron/core/vm/profiles/runScriptEnv.ts, HOST_KEY_FW_CFG_NAME).
  ownHostKey ? false,
}:
let
  nixpkgs = builtins.fetchTarball {
    inherit url;
    sha256 = narHash;
  };
  pkgs = import nixpkgs { };
  hostSide =
    { lib, ... }:
    {
      # Upstream forwards host port 31022 on every interface. Builder Bar chooses the port at
      # start (it may be taken) and binds it to 127.0.0.1 only, through QEMU_NET_OPTS.
      virtualisation.forwardPorts = lib.mkForce [ ];
    };
  fwCfgHostKey =
    { lib, pkgs, ... }:
    {
      environment.etc."ssh/ssh_host_ed25519_key".enable = lib.mkForce false;
      environment.etc."ssh/ssh_host_ed25519_key.pub".enable = lib.mkForce false;
      boot.kernelModules = [ "qemu_fw_cfg" ];
      systemd.services.builder-bar-host-key = {
        description = "Install the ssh host key Builder Bar hands in through QEMU's fw_cfg";
        wantedBy = [ "sshd.service" ];
        before = [ "sshd.service" ];
        serviceConfig.Type = "oneshot";
        # Without the fw_cfg entry sshd makes a key of its own, which the pinned one does not
        # match: the start fails at readiness saying so, never with a silently trusted key.
        script = ''
          key=/sys/firmware/qemu_fw_cfg/by_name/opt/builder-bar/ssh_host_ed25519_key/raw
          if [ -r "$key" ]; then
            ${pkgs.coreutils}/bin/install -m 0600 -o root -g root "$key" /etc/ssh/ssh_host_ed25519_key
            ${pkgs.openssh}/bin/ssh-keygen -y -f /etc/ssh/ssh_host_ed25519_key > /etc/ssh/ssh_host_ed25519_key.pub
          fi
        '';
      };
    };
  builder = pkgs.darwin.linux-builder.override (old: {
    modules = old.modules ++ [ hostSide ] ++ (if ownHostKey then [ fwCfgHostKey ] else [ ]);
  });
  config = builder.nixosConfig;
  vm = config.system.build.vm;
  qemu = config.virtualisation.qemu.package;
in
pkgs.runCommand "builder-bar-linux-builder" { } ''
  mkdir -p $out
  ln -s ${vm}/bin/run-${config.system.name}-vm $out/run-vm
  # The QEMU the script runs: the accelerator probe must ask this one, not one on PATH.
  ln -s ${qemu}/bin $out/qemu-bin
  # The root disk is made before the first start (label nixos, as the VM module expects).
  ln -s ${pkgs.e2fsprogs}/bin/mkfs.ext4 $out/mkfs.ext4
  echo ${config.nixpkgs.hostPlatform.system} > $out/guest-system
''

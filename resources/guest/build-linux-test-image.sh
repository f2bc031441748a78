#!/usr/bin/env bash
# Builds Builder Bar's own Linux test guest from the Debian packages on this host:
#   OUTDIR/vmlinuz            Debian's kernel (linux-image-amd64), copied as is
#   OUTDIR/initramfs.cpio.gz  a gzip'd newc cpio: busybox-static, OpenSSH's sshd
#                             (openssh-server), nix-bin and the shared libraries they load,
#                             e2fsprogs for the /nix disk, the virtio / ext4 / 9p / fw_cfg /
#                             power-button modules, and rootfs/ from beside this script (/init,
#                             busybox init's inittab, boot and shutdown, sshd_config, nix.conf)
#   OUTDIR/run-linux-test-vm  the script that starts it (written by write-run-script.sh), in
#                             the shape of nixpkgs' NixOS VM script (qemu-vm.nix `startVM`): it
#                             honours the same environment (NIX_DISK_IMAGE, TMPDIR/USE_TMPDIR,
#                             KEYS, QEMU_OPTS, QEMU_NET_OPTS, QEMU_KERNEL_PARAMS;
#                             electron/core/vm/profiles/runScriptEnv.ts) and has its programs'
#                             and image's paths baked in, as Nix bakes store paths
#
# Usage: build-linux-test-image.sh OUTDIR [INSTALLDIR]
#          INSTALLDIR: where the caller moves OUTDIR once built (the run script names the kernel
#          and initramfs there); default OUTDIR
#        build-linux-test-image.sh --list-inputs   (prints every host file the image copies or
#                                                   the run script names, one a line, for the
#                                                   caller's cache hash)
# BUILDER_BAR_GUEST_KERNEL=/boot/vmlinuz-X picks the kernel; default: the newest in /boot.
#
# Nothing here needs root: the archive is written by cpio with owner 0:0, so files are root's
# inside the guest whoever builds it. No key is in this image: at each start the host key
# arrives through QEMU's fw_cfg and the client's public key through the `keys` share.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() { echo "build-linux-test-image: $*" >&2; exit 1; }

# Each tool the image needs, with the Debian package that provides it (the message a user sees).
need_file() { # path package
  [[ -e "$1" ]] || die "$1 not found: on Debian run apt-get install $2"
}
need_cmd() { # command package
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: on Debian run apt-get install $2"
}

pick_kernel() {
  if [[ -n "${BUILDER_BAR_GUEST_KERNEL:-}" ]]; then
    need_file "$BUILDER_BAR_GUEST_KERNEL" linux-image-amd64
    echo "$BUILDER_BAR_GUEST_KERNEL"
    return
  fi
  local newest
  newest="$(find /boot -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$newest" ]] || die "no /boot/vmlinuz-* found: on Debian run apt-get install linux-image-amd64"
  echo "/boot/$newest"
}

busybox_bin=/bin/busybox
[[ -x "$busybox_bin" ]] || busybox_bin=/usr/bin/busybox
need_file "$busybox_bin" busybox-static
# A dynamically linked busybox would need its libraries too; the guest wants busybox-static.
if ldd "$busybox_bin" >/dev/null 2>&1; then
  die "$busybox_bin is dynamically linked: on Debian run apt-get install busybox-static"
fi
need_file /usr/sbin/sshd openssh-server
need_file /usr/bin/ssh-keygen openssh-client
need_file /usr/bin/nix nix-bin
need_file /usr/sbin/mke2fs e2fsprogs
need_file /usr/sbin/e2fsck e2fsprogs
need_cmd modprobe kmod
need_cmd cpio cpio
need_cmd gzip gzip
need_cmd ldd libc-bin
need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd qemu-img qemu-utils
need_cmd bash bash
qemu_system="$(command -v qemu-system-x86_64)"
qemu_img="$(command -v qemu-img)"
bash_bin="$(command -v bash)"

kernel="$(pick_kernel)"
kver="${kernel##*/vmlinuz-}"
moddir="/lib/modules/$kver"
[[ -d "$moddir" ]] || die "$moddir not found: install the modules of kernel $kver (linux-image-$kver)"

# Dynamically linked programs copied into the guest (the libraries follow from ldd).
programs=(/usr/bin/nix /usr/sbin/sshd /usr/bin/ssh-keygen /usr/sbin/mke2fs /usr/sbin/e2fsck)
# Loaded by rootfs/etc/builder-bar/boot in the order modprobe resolves: virtio PCI + net for
# QEMU's user network, virtio-blk + ext4 for the /nix disk, button + evdev so acpid sees the
# ACPI power button (QMP system_powerdown), virtio_rng so sshd never waits for entropy,
# 9p over virtio for the `keys` share (with netfs and fscache, which 9p needs), qemu_fw_cfg
# for the host key.
modules=(virtio_pci virtio_net virtio_blk crc32c_generic ext4 button evdev virtio_rng 9pnet_virtio 9p qemu_fw_cfg virtio_console)

nss_dns=/lib/x86_64-linux-gnu/libnss_dns.so.2

libraries_of() { # program -> absolute paths of the shared objects it loads, the loader included
  ldd "$1" | awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]+ \(0x/ { print $1 }'
}

module_files() { # -> .ko paths, dependencies first, each once
  local m
  for m in "${modules[@]}"; do
    modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }' ||
      die "kernel module $m not found for $kver"
  done | awk '!seen[$0]++'
}

if [[ "${1:-}" == "--list-inputs" ]]; then
  {
    echo "$kernel"
    echo "$busybox_bin"
    printf '%s\n' "${programs[@]}"
    # Named by the run script.
    echo "$qemu_system"
    echo "$qemu_img"
    echo "$bash_bin"
    [[ -e /etc/mke2fs.conf ]] && echo /etc/mke2fs.conf
    [[ -e "$nss_dns" ]] && echo "$nss_dns"
    for p in "${programs[@]}"; do libraries_of "$p"; done
    module_files
  } | awk '!seen[$0]++'
  exit 0
fi

[[ $# -eq 1 || $# -eq 2 ]] || die "usage: $0 OUTDIR [INSTALLDIR]"
outdir="$1"
installdir="${2:-$1}"
[[ "$installdir" == /* ]] || die "INSTALLDIR must be an absolute path"
mkdir -p "$outdir"
work="$(mktemp -d "$outdir/.work.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/root"

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,proc,sys,dev,run,tmp,mnt,nix,home,var/log,var/empty,var/keys,etc/ssh,etc/nix}
mkdir -p "$root/lib/modules/$kver" "$root/root"
chmod 0700 "$root/root"
chmod 1777 "$root/tmp"

# busybox and its applets. The applet list includes `busybox` itself: linking that name would
# make /bin/busybox a symlink to itself (a loop the kernel reports as init failing with -40).
cp "$busybox_bin" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [[ "$applet" == busybox ]] && continue
  [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
done

copy_with_path() { # absolute host path -> same path inside the guest, symlinks resolved
  mkdir -p "$root$(dirname "$1")"
  cp -L "$1" "$root$1"
}
for p in "${programs[@]}"; do
  copy_with_path "$p"
  while read -r lib; do
    [[ -e "$root$lib" ]] || copy_with_path "$lib"
  done < <(libraries_of "$p")
done
# mke2fs's defaults for `-t ext4` (it has built-in ones when the host has no file).
[[ -e /etc/mke2fs.conf ]] && cp /etc/mke2fs.conf "$root/etc/mke2fs.conf"
# Nix loads nss_dns itself (for builds) and warns on every start when it is missing; glibc's
# is a stub (DNS is built into libc since 2.34), copied only to keep the console quiet.
[[ -e "$nss_dns" ]] && copy_with_path "$nss_dns"
# nix-store, nix-daemon, ... are the same binary dispatching on its name, as on the host.
for name in nix-store nix-daemon nix-build nix-env nix-instantiate nix-collect-garbage nix-copy-closure nix-hash; do
  ln -s nix "$root/usr/bin/$name"
done

# Modules, flat, with their load order (dependencies first).
: > "$root/etc/modules.order"
while read -r ko; do
  cp "$ko" "$root/lib/modules/$kver/"
  basename "$ko" >> "$root/etc/modules.order"
done < <(module_files)
echo "$kver" > "$root/etc/kernel-release"

# The guest's own files (init, inittab, boot/shutdown scripts, sshd_config, nix.conf, passwd, ...).
cp -R "$here/rootfs/." "$root/"
chmod 0755 "$root/init" "$root/etc/builder-bar/boot" "$root/etc/builder-bar/shutdown" "$root/etc/builder-bar/control" "$root/etc/builder-bar/go-on" "$root/etc/builder-bar/nix-daemon" \
  "$root/etc/builder-bar/announce-sshd" "$root/etc/acpi/PWRF/00000080"
# What readiness reports as Nix's version: a fact of the binary copied above, so the guest
# need not start Nix to say it (under TCG a Nix start costs 0.6 s of the one vCPU, just when
# sshd and the nix-daemon start).
/usr/bin/nix-store --version > "$root/etc/builder-bar/nix-version" 2>/dev/null

# Owner root for every file, whoever runs the build; sorted names so equal inputs give an
# equal archive.
(cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
  cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) |
  gzip -6 -n > "$work/initramfs.cpio.gz"
cp "$kernel" "$work/vmlinuz"
"$bash_bin" "$here/write-run-script.sh" "$work/run-linux-test-vm" "$qemu_system" "$qemu_img" "$bash_bin" "$installdir"
chmod 0644 "$work/vmlinuz" "$work/initramfs.cpio.gz"
chmod 0755 "$work/run-linux-test-vm"
mv "$work/vmlinuz" "$outdir/vmlinuz"
mv "$work/initramfs.cpio.gz" "$outdir/initramfs.cpio.gz"
mv "$work/run-linux-test-vm" "$outdir/run-linux-test-vm"
echo "build-linux-test-image: kernel $kver, initramfs $(du -h "$outdir/initramfs.cpio.gz" | cut -f1)"

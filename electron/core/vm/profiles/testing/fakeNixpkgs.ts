/**
 * A stand-in for a nixpkgs source tarball, for tests on a machine without the internet: it has
 * exactly the interface resources/nix/linux-builder.nix uses (`darwin.linux-builder.override`
 * with `modules`, its `nixosConfig`, `runCommand`, `e2fsprogs`), built from /bin/sh derivations,
 * and records what it was given so tests can check it: the modules' `forwardPorts` (in
 * `<vm>/forward-ports.json`) and whether the own-host-key module was among them
 * (`<vm>/own-host-key.json`). Its run-vm is a script the test chooses (the linux-test guest's,
 * for the Mac launch under TCG), and its QEMU the host's.
 */
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { NixpkgsPin } from '../../../../ipc/contract.js';

export interface FakeNixpkgs {
  /** file:// URL of the tarball, for any rev (the archive URL function ignores the rev). */
  archiveUrl: (rev: string) => string;
  /** The tarball's pin, with a made-up revision. */
  pin: NixpkgsPin;
  /** The same tree as a git repository with one branch, `nixpkgs-unstable`, for branch look-ups. */
  branchRef: (branch: string) => string;
  /** Its commit: what a look-up of `nixpkgs-unstable` locks. */
  gitRev: string;
}

/** A path spliced inside a Nix string and a shell word: nothing that either would read. */
function plainPath(text: string): string {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(text)) throw new Error(`not a plain path: ${text}`);
  return text;
}

function defaultNix(runScript: string, qemuBinDir: string, mkfsExt4: string): string {
  return `{ ... }:
let
  sh = name: script: derivation { inherit name; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" script ]; PATH = "/usr/bin:/bin"; };
  lib = { mkForce = content: { _type = "override"; priority = 50; inherit content; }; };
  qemu = sh "qemu" "mkdir -p $out; ln -s ${plainPath(qemuBinDir)} $out/bin";
  linuxBuilder = modules:
    let
      applied = map (m: if builtins.isFunction m then m { inherit lib; config = { }; pkgs = { }; } else m) modules;
      forwardPorts = builtins.toJSON (map (m: m.virtualisation.forwardPorts or null) applied);
      # The own-host-key module is the one that runs a service of Builder Bar's.
      ownHostKey = builtins.toJSON (builtins.any (m: (m.systemd.services or { }) ? builder-bar-host-key) applied);
      vm = sh "nixos-vm" "mkdir -p $out/bin; echo '\${forwardPorts}' > $out/forward-ports.json; echo \${ownHostKey} > $out/own-host-key.json; ln -s ${plainPath(runScript)} $out/bin/run-builder-vm";
    in {
      nixosConfig = {
        system.build.vm = vm;
        system.name = "builder";
        virtualisation.qemu.package = qemu;
        nixpkgs.hostPlatform.system = "x86_64-linux";
      };
      override = f: linuxBuilder (f { inherit modules; }).modules;
    };
in {
  darwin.linux-builder = linuxBuilder [ ];
  e2fsprogs = sh "e2fsprogs" "mkdir -p $out/bin; ln -s ${plainPath(mkfsExt4)} $out/bin/mkfs.ext4";
  runCommand = name: env: script: derivation (env // { inherit name; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" script ]; PATH = "/usr/bin:/bin"; });
}
`;
}

/** The SRI form of `nix-hash --type sha256` (the narHash a flake.lock records). */
async function narHashOf(dir: string, nixBinDir: string): Promise<string> {
  const { stdout } = await execa(path.join(nixBinDir, 'nix-hash'), ['--type', 'sha256', dir]);
  return `sha256-${Buffer.from(stdout.trim(), 'hex').toString('base64')}`;
}

export async function makeFakeNixpkgs(input: { dir: string; nixBinDir: string; runScript: string; qemuBinDir: string; mkfsExt4?: string }): Promise<FakeNixpkgs> {
  const tree = path.join(input.dir, 'nixpkgs-fake');
  await fs.mkdir(tree, { recursive: true });
  await fs.writeFile(path.join(tree, 'default.nix'), defaultNix(input.runScript, input.qemuBinDir, input.mkfsExt4 ?? '/sbin/mkfs.ext4'));
  // nixpkgs is a flake too: `nix flake metadata` of a branch needs one.
  await fs.writeFile(path.join(tree, 'flake.nix'), '{ outputs = { self }: { }; }\n');
  const tarball = path.join(input.dir, 'nixpkgs-fake.tar.gz');
  await execa('tar', ['-C', input.dir, '-czf', tarball, 'nixpkgs-fake']);
  const narHash = await narHashOf(tree, input.nixBinDir);
  const repo = path.join(input.dir, 'nixpkgs-git');
  await fs.mkdir(repo, { recursive: true });
  for (const file of ['default.nix', 'flake.nix']) await fs.copyFile(path.join(tree, file), path.join(repo, file));
  const git = (args: string[]) => execa('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', '-C', repo, ...args]);
  await git(['init', '-q', '-b', 'nixpkgs-unstable']);
  await git(['add', 'default.nix', 'flake.nix']);
  await git(['commit', '-q', '-m', 'fake nixpkgs']);
  const gitRev = (await git(['rev-parse', 'HEAD'])).stdout.trim();
  return {
    archiveUrl: () => `file://${tarball}`,
    pin: { rev: 'f'.repeat(40), narHash },
    branchRef: (branch) => `git+file://${repo}?ref=${branch}`,
    gitRev,
  };
}

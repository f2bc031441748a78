/**
 * What a builder profile is: how to prepare a guest and the exact QEMU command that runs it.
 * The supervisor (lifecycle, QMP, readiness, restarts) is the same for every profile; what
 * differs between the project's own `linux-test` guest and nixpkgs' `darwin.linux-builder`
 * lives behind this interface. `launchPlan` is pure so both profiles' command lines are
 * unit-tested on any machine.
 */
import type { ProfileName } from '../../ipc/contract.js';

export type AcceleratorName = 'kvm' | 'hvf' | 'tcg';

/** Files of one VM instance, all inside the state dir's `vm/` folder (never under /tmp). */
export interface VmFiles {
  vmDir: string;
  qmpSocket: string;
  /** Serial console, appended by QEMU (a chardev logfile), tailed into the log hub. */
  consoleLog: string;
  /** QEMU's own stderr. */
  qemuLog: string;
  pidFile: string;
  /** The persistent disk (qcow2) holding the guest's /nix, sized by settings.diskGiB. */
  diskImage: string;
}

/** The keys one boot needs; OpenSSH formats, created by the supervisor's key store. */
export interface BootKeys {
  /** The client's public key line, installed as the guest user's authorized key. */
  clientPublicKey: string;
  /** The guest's host private key (OpenSSH PEM), for profiles that take a per-install key. */
  hostPrivateKey: string | null;
}

export interface PrepareInput {
  /** The state dir's image cache (e.g. `<state>/images`). */
  cacheDir: string;
  files: VmFiles;
  keys: BootKeys;
  /** A fresh random string per boot; readiness checks the guest reports exactly this. */
  bootMarker: string;
  diskGiB: number;
  /** Progress in words for the status line and the app log. */
  report: (message: string) => void;
  signal?: AbortSignal;
}

/** What `prepare` made: paths `launchPlan` puts on the command line. */
export interface PreparedGuest {
  kernel: string | null;
  initrd: string | null;
  /** Extra values a profile needs later (e.g. the nixpkgs store path of its run script). */
  extra: Record<string, string>;
}

/** How the guest's host key is trusted: made per install, or a published key (pinned, flagged weak). */
export type HostKeyPolicy = { kind: 'per-install' } | { kind: 'fixed'; publicKey: string; weakness: string };

export interface LaunchInput {
  qemuBinary: string;
  accelerator: AcceleratorName;
  cpus: number;
  memoryMiB: number;
  /** Host port forwarded to guest port 22, always on 127.0.0.1. */
  hostPort: number;
  files: VmFiles;
  prepared: PreparedGuest;
  bootMarker: string;
  /** Start QEMU waiting for a saved state (`-incoming defer -S`): a restore (snapshot/). */
  incoming?: boolean;
}

export interface LaunchPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/**
 * The `keys` share as both sides see it: a host directory (KEYS) mounted in the guest, holding
 * the key file the guest's sshd reads for the ssh user. 9p with security_model=none shows the
 * guest the host's owners and modes, so readiness can say why sshd refuses it.
 */
export interface KeysShare {
  /** The directory on the host (a link to it is followed). */
  hostDir: string;
  /** Where the guest mounts it (`/var/keys`). */
  guestDir: string;
  /** The key file's name inside it (`builder_ed25519.pub`). */
  keyFile: string;
}

export interface BuilderProfile {
  name: ProfileName;
  /** The QEMU system emulator this profile needs on this host (e.g. `qemu-system-x86_64`). */
  qemuBinaryName: string;
  /**
   * True when the guest comes with its own QEMU (nixpkgs' run script runs the QEMU of its
   * closure): no QEMU on PATH is needed, and `prepare` names it in `extra.qemuBinary`.
   */
  qemuFromImage?: boolean;
  /** Accelerators worth probing on this host, best first; `tcg` is always the fallback. */
  acceleratorCandidates: AcceleratorName[];
  /** ssh user in the guest. */
  sshUser: string;
  /**
   * A command run over ssh that prints the boot marker on its first line, then proves Nix
   * answers (`nix-store --version` or `nix --version`). Readiness passes only if both hold.
   */
  readinessCommand: string;
  /** How the guest's host key is trusted by default: made per install, or the public key nixpkgs ships. */
  hostKeyPolicy: HostKeyPolicy;
  /**
   * This start's policy, for a profile whose host key can change between starts (the Mac
   * builder: nixpkgs' published key until its own-host-key image exists). Absent: `hostKeyPolicy`.
   */
  hostKeyPolicyNow?: (files: VmFiles) => Promise<HostKeyPolicy>;
  /** Builds or fetches what the guest needs; cached, rebuilt when inputs change. */
  prepare(input: PrepareInput): Promise<PreparedGuest>;
  /** The exact QEMU command. Pure: no I/O. */
  launchPlan(input: LaunchInput): LaunchPlan;
  /**
   * True when the guest has Builder Bar's control port and waits at its snapshot line for the
   * host's `go` (snapshot/startGuest.ts): its ready state can be saved and restored, and its clock
   * set from the host. Absent: every start boots cold, and a clock that drifts is only reported.
   */
  controlPort?: boolean;
  /** The keys share of a VM dir's builder, for profiles that hand the key in through one. Pure. */
  keysShare?(files: VmFiles): KeysShare;
}

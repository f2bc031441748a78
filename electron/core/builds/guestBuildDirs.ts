/**
 * Which derivations the builder is building right now, seen from inside the guest: every Nix
 * build runs with its working directory in `/tmp/nix-build-<name>-<n>`, whoever asked for it.
 * One fixed command (no user data in it) lists those directories, with the processes in them
 * where the login may see them.
 *
 * The login is the guest's `builder` user, as on nixpkgs' builder, and the builds are run by the
 * guest's nix-daemon (as root, or as its build users): Linux lets no other user read a process's
 * working directory, so `builder` finds the build directories by listing /tmp (which anyone may
 * list) and gets no pids for them. A directory outlives its build only when the daemon was killed
 * mid-build (Nix removes it otherwise), until the guest restarts (/tmp is a tmpfs).
 */

/**
 * Runs in the guest's shell (busybox sh); prints `- <dir>` for each build dir, then `<pid> <cwd>`
 * for each process in one that the login may see. The processes are looked at only when there is
 * a build dir: each costs a fork (`$(readlink …)`), and on an idle builder polled every 3 s those
 * forks were most of QEMU's CPU under TCG (8.6 % of a host core against 1.7 % unpolled).
 */
export const GUEST_BUILD_DIRS_COMMAND =
  'b=; for d in /tmp/nix-build-*; do [ -d "$d" ] && echo "- $d" && b=1; done; '
  + '[ -z "$b" ] || for d in /proc/[0-9]*; do c=$(readlink "$d/cwd" 2>/dev/null) || continue; case "$c" in /tmp/nix-build-*) echo "${d#/proc/} $c";; esac; done';

export interface GuestBuild {
  /** The derivation's name (`hello-2.12.1`), from its build directory. */
  name: string;
  directory: string;
  /** The processes in it, when the login may see them (not those of the daemon's builds). */
  pids: number[];
}

export function parseGuestBuildDirs(stdout: string): GuestBuild[] {
  const byDirectory = new Map<string, GuestBuild>();
  for (const line of stdout.split('\n')) {
    const match = /^(\d+|-) (\/tmp\/nix-build-[^/\s]+)(?:\/\S*)?$/.exec(line.trim());
    if (!match) continue;
    const directory = match[2]!;
    // Nix names the directory after the store path of the .drv: nix-build-<name>.drv-<n>.
    const name = directory.slice('/tmp/nix-build-'.length).replace(/-\d+$/, '').replace(/\.drv$/, '');
    const entry = byDirectory.get(directory) ?? { name, directory, pids: [] };
    if (match[1] !== '-') entry.pids.push(Number(match[1]));
    byDirectory.set(directory, entry);
  }
  return [...byDirectory.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Which derivations the builder is building right now, seen from inside the guest: every Nix
 * build runs with its working directory in `/tmp/nix-build-<name>-<n>`, whoever asked for it.
 * One fixed command (no user data in it) lists those directories with the processes in them.
 */

/** Runs in the guest's shell (busybox sh); prints `<pid> <cwd>` for each process in a build dir. */
export const GUEST_BUILD_DIRS_COMMAND =
  'for d in /proc/[0-9]*; do c=$(readlink "$d/cwd" 2>/dev/null) || continue; case "$c" in /tmp/nix-build-*) echo "${d#/proc/} $c";; esac; done';

export interface GuestBuild {
  /** The derivation's name (`hello-2.12.1`), from its build directory. */
  name: string;
  directory: string;
  pids: number[];
}

export function parseGuestBuildDirs(stdout: string): GuestBuild[] {
  const byDirectory = new Map<string, GuestBuild>();
  for (const line of stdout.split('\n')) {
    const match = /^(\d+) (\/tmp\/nix-build-[^/\s]+)(?:\/\S*)?$/.exec(line.trim());
    if (!match) continue;
    const pid = Number(match[1]);
    const directory = match[2]!;
    // Nix names the directory after the store path of the .drv: nix-build-<name>.drv-<n>.
    const name = directory.slice('/tmp/nix-build-'.length).replace(/-\d+$/, '').replace(/\.drv$/, '');
    const entry = byDirectory.get(directory) ?? { name, directory, pids: [] };
    entry.pids.push(pid);
    byDirectory.set(directory, entry);
  }
  return [...byDirectory.values()].sort((a, b) => a.name.localeCompare(b.name));
}

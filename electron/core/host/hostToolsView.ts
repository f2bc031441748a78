/**
 * The programs Builder Bar runs outside Nix, and where the search path found each, for app info
 * (`builder-bar status`, the dashboard): the answer to "it says QEMU is missing, but my terminal
 * has it". Nix itself is reported by the NixLocator, which may also take it from a setting.
 */
import type { HostTools, ProfileName } from '../../ipc/contract.js';
import type { ToolSearchPath } from './toolSearchPath.js';

/**
 * The profile's QEMU (the Mac profile runs the QEMU of nixpkgs' builder image, found through
 * Nix, so none on PATH), qemu-img for disks, git for baselines, ssh for Nix's remote builds.
 */
export function hostToolNames(profile: ProfileName): string[] {
  return [...(profile === 'linux-test' ? ['qemu-system-x86_64'] : []), 'qemu-img', 'git', 'ssh'];
}

export async function hostToolsView(tools: ToolSearchPath, profile: ProfileName): Promise<HostTools> {
  const shell = await tools.loginShellOutcome();
  const found = await Promise.all(
    hostToolNames(profile).map(async (name) => {
      const tool = await tools.find(name);
      return { name, path: tool?.path ?? null, origin: tool?.origin ?? null };
    }),
  );
  return {
    loginShell: shell.ok ? { ok: true, shell: shell.shell, ms: shell.ms } : { ok: false, shell: shell.shell, why: shell.why },
    tools: found,
  };
}

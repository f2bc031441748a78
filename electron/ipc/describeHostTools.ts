/**
 * Where the programs Builder Bar runs were found, in words, the same in `builder-bar status` and
 * the dashboard: "qemu-img /opt/homebrew/bin/qemu-img (login shell's PATH)".
 */
import type { HostTools } from './contract.js';

const ORIGIN_WORDS = { 'app-environment': "app's PATH", 'login-shell': "login shell's PATH", 'nix-profile': 'Nix profile' } as const;

/** One phrase per program: its path and where it was found, or that it was not found. */
export function describeHostToolList(hostTools: HostTools): string[] {
  return hostTools.tools.map((tool) => (tool.path !== null && tool.origin !== null ? `${tool.name} ${tool.path} (${ORIGIN_WORDS[tool.origin]})` : `${tool.name} not found`));
}

/** How the login shell answered: used after the app's PATH, or why not. */
export function describeLoginShell(hostTools: HostTools): string {
  return hostTools.loginShell.ok
    ? `${hostTools.loginShell.shell} (its PATH is searched after the app's)`
    : `not used (${hostTools.loginShell.why})`;
}

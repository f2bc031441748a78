/**
 * Finding the host programs a guest needs, and saying what to install when one is missing.
 * A missing tool is the most common first-run failure, so the error names the program and the
 * one command that brings it ("qemu-img not found: on Debian run apt-get install qemu-utils").
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from '../../errors.js';
import { environmentTools, type ToolFinder } from '../../host/toolSearchPath.js';

export interface HostTool {
  /** The program name looked up on PATH. */
  name: string;
  /** The Debian package that provides it. */
  debianPackage: string;
  /** The Homebrew formula that provides it on macOS, when there is one. */
  brewFormula?: string;
}

export const QEMU_IMG: HostTool = { name: 'qemu-img', debianPackage: 'qemu-utils', brewFormula: 'qemu' };
export const QEMU_SYSTEM_X86_64: HostTool = { name: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86', brewFormula: 'qemu' };
export const QEMU_SYSTEM_AARCH64: HostTool = { name: 'qemu-system-aarch64', debianPackage: 'qemu-system-arm', brewFormula: 'qemu' };
export const BASH: HostTool = { name: 'bash', debianPackage: 'bash' };
export const NIX: HostTool = { name: 'nix', debianPackage: 'nix-bin' };

/** The absolute path of `name` on PATH, or null (tests; the core finds its programs through a ToolFinder). */
export async function findOnPath(name: string, envPath: string | undefined = process.env.PATH): Promise<string | null> {
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      await fs.access(candidate, fsConstants.X_OK);
      const info = await fs.stat(candidate);
      if (info.isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export function installHint(tool: HostTool, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin' && tool.brewFormula) return `On macOS run: brew install ${tool.brewFormula}`;
  return `On Debian run: apt-get install ${tool.debianPackage}`;
}

export function missingToolError(tool: HostTool, platform: NodeJS.Platform = process.platform): BuilderBarError {
  return new BuilderBarError('vm-failed', `${tool.name} not found on PATH, the login shell's PATH or in Nix's profile directories.`, installHint(tool, platform));
}

/**
 * The tool's absolute path on the search path (default: this process's PATH and Nix's profile
 * directories); a BuilderBarError naming the package to install when absent.
 */
export async function requireTool(tool: HostTool, tools: Pick<ToolFinder, 'find'> = environmentTools()): Promise<string> {
  const found = await tools.find(tool.name);
  if (!found) throw missingToolError(tool);
  return found.path;
}

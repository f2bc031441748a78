/**
 * `versions.txt` of a diagnostics bundle: Builder Bar, Node, Nix, QEMU and the OS. A tool that
 * is missing or hangs is reported as such; it never fails the bundle, since a broken Nix or
 * QEMU is often the very reason someone makes one. Nix is the one Builder Bar runs (the
 * nixBinDir setting, or the one it found), named with its directory.
 */
import os from 'node:os';
import { execa } from 'execa';
import { appVersion } from '../appVersion.js';
import { describeInstallation, environmentNix, type NixResolver } from '../nix/nixInstallation.js';
import { environmentTools, type ToolFinder } from '../host/toolSearchPath.js';

async function toolVersion(command: string, args: readonly string[]): Promise<string> {
  const result = await execa(command, args, { reject: false, timeout: 10_000, stdin: 'ignore' });
  if (result.failed) {
    const why = result.timedOut ? 'timed out after 10 s' : result.exitCode === undefined ? 'not found' : `exited with ${result.exitCode}`;
    return `unavailable (${command} ${args.join(' ')}: ${why})`;
  }
  return result.stdout.split('\n')[0]?.trim() || '(no output)';
}

async function nixVersion(resolver: NixResolver): Promise<string> {
  const resolution = await resolver.resolve().catch((error: unknown) => ({ found: false as const, reason: (error as Error).message, hint: '' }));
  return resolution.found ? describeInstallation(resolution.installation) : `unavailable (${resolution.reason})`;
}

export async function versionsReport(platform: NodeJS.Platform, nixResolver: NixResolver = environmentNix(), tools: Pick<ToolFinder, 'find'> = environmentTools()): Promise<string> {
  const qemuName = os.arch() === 'arm64' && platform === 'darwin' ? 'qemu-system-aarch64' : 'qemu-system-x86_64';
  const qemuFound = await tools.find(qemuName);
  const [nix, qemu] = await Promise.all([
    nixVersion(nixResolver),
    // The QEMU the core would start, by the path the search path gives, with where it is.
    qemuFound ? toolVersion(qemuFound.path, ['--version']).then((line) => `${line} (${qemuFound.path}, ${qemuFound.origin})`) : Promise.resolve(`unavailable (${qemuName}: not found)`),
  ]);
  return [
    `Builder Bar: ${appVersion()}`,
    `Node: ${process.version}`,
    `Nix: ${nix}`,
    `QEMU: ${qemu}`,
    `OS: ${os.type()} ${os.release()} (${platform} ${os.arch()})`,
    '',
  ].join('\n');
}

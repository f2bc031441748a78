/**
 * Fake Nix installations for tests: a directory of small shell scripts named nix, nix-build,
 * nix-store and nix-daemon that answer `--version` like Nix (`nix (Nix) 2.34.8`) and record
 * every other call's argv, one line per call, tab-separated, program path first. Enough to
 * prove which Nix a service runs, by which absolute path, without building anything.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { NIX_PROGRAMS, type NixInstallation, type NixProgram, type NixResolution, type NixResolver } from '../nixInstallation.js';

export interface FakeNixOptions {
  version?: string;
  /** What `nix --version` prints instead of `nix (Nix) <version>`. */
  versionLine?: string;
  /** Which programs the directory holds (default: all four). */
  programs?: readonly NixProgram[];
  /** Shell lines run for any call other than --version, after it is recorded (e.g. `echo /nix/store/x`). */
  behaviour?: Partial<Record<NixProgram, string>>;
}

export interface FakeNix {
  binDir: string;
  /** The file each call (other than --version) is appended to. */
  callsFile: string;
  /** The file each --version call is appended to. */
  versionCallsFile: string;
  calls(): Promise<string[][]>;
  versionCalls(): Promise<number>;
}

export async function writeFakeNix(binDir: string, options: FakeNixOptions = {}): Promise<FakeNix> {
  await fs.mkdir(binDir, { recursive: true });
  const callsFile = path.join(path.dirname(binDir), `${path.basename(binDir)}.calls`);
  const versionCallsFile = path.join(path.dirname(binDir), `${path.basename(binDir)}.version-calls`);
  const versionLine = options.versionLine ?? `nix (Nix) ${options.version ?? '2.34.8'}`;
  for (const program of options.programs ?? NIX_PROGRAMS) {
    const script = [
      '#!/bin/sh',
      'if [ "$1" = "--version" ]; then',
      `  echo x >> ${shellQuote(versionCallsFile)}`,
      `  echo ${shellQuote(versionLine.replace('nix (', `${program} (`))}`,
      '  exit 0',
      'fi',
      `{ printf '%s' "$0"; for a in "$@"; do printf '\\t%s' "$a"; done; printf '\\n'; } >> ${shellQuote(callsFile)}`,
      options.behaviour?.[program] ?? 'exit 0',
      '',
    ].join('\n');
    await fs.writeFile(path.join(binDir, program), script, { mode: 0o755 });
  }
  return {
    binDir,
    callsFile,
    versionCallsFile,
    calls: async () => {
      const text = await fs.readFile(callsFile, 'utf8').catch(() => '');
      return text.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
    },
    versionCalls: async () => (await fs.readFile(versionCallsFile, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '').length,
  };
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** An installation as the locator reports one, for tests that need no files. */
export function fakeInstallation(binDir: string, version = '2.34.8'): NixInstallation {
  const programs = Object.fromEntries(NIX_PROGRAMS.map((name) => [name, path.join(binDir, name)])) as Record<NixProgram, string>;
  return { binDir, chosenBy: 'setting', version, determinate: false, programs, missing: [], shadowed: [] };
}

/** A resolver that always answers the same. */
export function fixedNix(answer: NixInstallation | NixResolution): NixResolver {
  const resolution: NixResolution = 'found' in answer ? answer : { found: true, installation: answer };
  return { resolve: async () => resolution };
}

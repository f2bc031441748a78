/**
 * The diagnostics bundle, as Podman Desktop's troubleshooting page makes one: a
 * `builder-bar-diagnostics-<UTC time>.tar.gz` with the log files (rotated ones too), the
 * settings with secrets removed, the core's status, versions, the Nix wiring and the build
 * history. Everything is staged in a private temp dir, scrubbed of private keys and the
 * headless token, then packed by the system `tar` (execa, argument array), so the archive
 * opens anywhere without Builder Bar.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { readRegularFile } from '../util/regularFile.js';
import { SETTINGS_FILE_MAX_BYTES } from '../settings/defaults.js';
import { BuilderBarError } from '../errors.js';
import type { NixResolver } from '../nix/nixInstallation.js';
import type { ToolFinder } from '../host/toolSearchPath.js';
import type { StatePaths } from '../paths.js';
import { BUNDLE_PREFIX, bundleName } from './bundleName.js';
import { redactSettings } from './redactSettings.js';
import { scrubSecrets } from './scrubSecrets.js';
import { versionsReport } from './versionsReport.js';
import { wiringEntries, type BundleEntry } from './wiringFiles.js';

export interface DiagnosticsDeps {
  paths: StatePaths;
  platform: NodeJS.Platform;
  /** Writes what the log hub still holds, so the files end with the latest lines. */
  flushLogs: () => Promise<void>;
  status: () => unknown;
  /** The settings the core uses, for when settings.json is missing or unreadable. */
  settings: () => unknown;
  builds: () => unknown;
  /** The Nix Builder Bar runs (default: the environment's). */
  nix?: NixResolver;
  /** The core's search path, for the QEMU in versions.txt. */
  tools?: Pick<ToolFinder, 'find'>;
  now?: () => Date;
}

export interface DiagnosticsResult {
  path: string;
  /** Paths inside the archive, under its top directory. */
  files: string[];
}

async function logEntries(logDir: string): Promise<BundleEntry[]> {
  const names = await fs.readdir(logDir).catch(() => [] as string[]);
  const entries: BundleEntry[] = [];
  for (const name of names.sort()) {
    // Earlier bundles live here too; a bundle inside a bundle helps nobody.
    if (name.startsWith(BUNDLE_PREFIX)) continue;
    const file = path.join(logDir, name);
    const stat = await fs.lstat(file).catch(() => null);
    if (!stat?.isFile()) continue;
    entries.push({ name: `logs/${name}`, text: await fs.readFile(file, 'utf8') });
  }
  return entries;
}

async function settingsEntry(deps: DiagnosticsDeps): Promise<BundleEntry> {
  // The file as it is on disk shows fields the core ignores too; fall back to what the core uses.
  // Only a regular file is opened: a FIFO put there would block the bundle for ever.
  const raw = await readRegularFile(deps.paths.settingsFile, { advice: 'the bundle shows the settings the core uses', maxBytes: SETTINGS_FILE_MAX_BYTES }).then((bytes) => bytes.toString('utf8'), () => null);
  let parsed: unknown = null;
  try {
    parsed = raw === null ? null : JSON.parse(raw);
  } catch {
    parsed = null;
  }
  return { name: 'settings.json', text: `${JSON.stringify(redactSettings(parsed ?? deps.settings()), null, 2)}\n` };
}

export async function createDiagnostics(deps: DiagnosticsDeps, outDir?: string): Promise<DiagnosticsResult> {
  const target = outDir ?? deps.paths.logDir;
  if (!path.isAbsolute(target)) throw new BuilderBarError('invalid-request', `The output directory must be an absolute path, not "${target}".`);
  await deps.flushLogs();
  const name = bundleName((deps.now ?? (() => new Date()))());
  const entries: BundleEntry[] = [
    ...(await logEntries(deps.paths.logDir)),
    await settingsEntry(deps),
    { name: 'status.json', text: `${JSON.stringify(deps.status(), null, 2)}\n` },
    { name: 'versions.txt', text: await versionsReport(deps.platform, deps.nix, deps.tools) },
    ...(await wiringEntries(deps.paths.stateDir, deps.paths.keysDir)),
    { name: 'builds.json', text: `${JSON.stringify(await deps.builds(), null, 2)}\n` },
  ];

  // mkdtemp makes the staging dir 0700: the unscrubbed originals never sit there, but the logs do.
  const staging = await fs.mkdtemp(path.join(os.tmpdir(), 'builder-bar-diagnostics-'));
  try {
    const root = path.join(staging, name);
    for (const entry of entries) {
      const file = path.join(root, ...entry.name.split('/'));
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await fs.writeFile(file, scrubSecrets(entry.text).text, { mode: 0o600 });
    }
    await fs.mkdir(target, { recursive: true, mode: 0o700 });
    const archive = path.join(target, `${name}.tar.gz`);
    const tar = await execa('tar', ['-czf', archive, '-C', staging, name], { reject: false, timeout: 120_000, stdin: 'ignore' });
    if (tar.failed) {
      await fs.rm(archive, { force: true });
      throw new BuilderBarError(
        'internal',
        `tar could not write the diagnostics bundle: ${tar.stderr.trim() || tar.shortMessage}`,
        tar.exitCode === undefined ? 'Install tar (it is part of every macOS and Linux base system).' : `Check that ${target} is writable.`,
      );
    }
    await fs.chmod(archive, 0o600);
    return { path: archive, files: entries.map((entry) => `${name}/${entry.name}`) };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

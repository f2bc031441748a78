/**
 * The `nixBinDir` setting beyond what its schema can check: a directory is only saved when it
 * holds a Nix that answers `nix --version` (with nix-build and nix-store beside it), so a typo
 * never leaves Builder Bar without Nix; and a saved change says which Nix is used from now on.
 */
import type { SettingsPatch } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import { describeInstallation, type NixLocator } from '../nix/nixInstallation.js';

/** Refuses (nothing saved) a patch whose nixBinDir holds no working Nix; a null (automatic) always passes. */
export async function refuseUnusableNixBinDir(patch: SettingsPatch, nix: Pick<NixLocator, 'inspect'>): Promise<void> {
  const dir = patch.nixBinDir;
  if (dir === undefined || dir === null) return;
  const inspection = await nix.inspect(dir);
  if (inspection.ok) return;
  throw new BuilderBarError(
    'invalid-settings',
    `Settings not saved: nixBinDir: ${dir} ${inspection.why}.`,
    'Nothing was changed. Give the directory that holds nix, nix-build and nix-store (a terminal prints it: dirname "$(command -v nix)"), or leave it empty to let Builder Bar find Nix.',
  );
}

/** The sentence a saved nixBinDir change adds to the settings' effects. */
export async function nixBinDirEffect(nix: Pick<NixLocator, 'resolve'>): Promise<string> {
  const resolution = await nix.resolve();
  if (resolution.found) return `Builder Bar now uses ${describeInstallation(resolution.installation)}.`;
  return `Builder Bar found no Nix to use: ${resolution.reason} ${resolution.hint}`;
}

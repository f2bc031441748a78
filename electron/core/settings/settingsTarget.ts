/**
 * Where a saved settings change is written. settings.json may be a symbolic link: dotfile managers
 * (GNU Stow, a dotfiles repository) link it to a file the user keeps elsewhere, and home-manager
 * links it into the read-only Nix store. Renaming a new file over the link replaced it: the
 * user's own file was silently no longer the one in use, and home-manager then refused to
 * activate over a file in its way. So a link is followed and the file it names is replaced
 * (atomically, beside itself); when that file cannot be written, the change is refused with where
 * the settings come from, and nothing is changed.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from '../errors.js';
import { writeFileAtomic } from '../util/atomicWrite.js';

/** The file a write of `file` should replace: itself, or what its link (chain) names. */
async function writeTarget(file: string): Promise<string> {
  const link = await fs.lstat(file).catch(() => null);
  if (!link?.isSymbolicLink()) return file;
  // A dangling link gets a file where it points, as writing through it would make.
  return fs.realpath(file).catch(async () => path.resolve(path.dirname(file), await fs.readlink(file)));
}

/** Writes the settings text where `file` leads, 0600; refuses, naming the link, when that place cannot take it. */
export async function writeSettingsFile(file: string, text: string): Promise<void> {
  const target = await writeTarget(file);
  if (target === file) {
    await writeFileAtomic(file, text, { mode: 0o600 });
    return;
  }
  try {
    await writeFileAtomic(target, text, { mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (!['EROFS', 'EACCES', 'EPERM'].includes(code)) throw error;
    throw new BuilderBarError(
      'invalid-settings',
      `Settings not saved: ${file} links to ${target}, which cannot be written (${code}).`,
      'Nothing was changed. Change the setting where that file comes from (home-manager, your dotfiles), or replace the link with a file of your own.',
    );
  }
}

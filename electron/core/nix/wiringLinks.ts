/**
 * Wiring files that are symbolic links. nix-darwin links `/etc/nix/nix.conf` to
 * `/etc/static/nix/nix.conf` (itself a link into the Nix store), and its `environment.etc`
 * files, `/etc/ssh/ssh_config.d/*` among them, the same way; home-manager links files into the
 * store too. Builder Bar never replaces such a link or writes through it: nix-darwin's next
 * `darwin-rebuild` would undo the change, and finding a plain file where its link was, it
 * aborts ("Unexpected files in /etc"). The plan reports each link and shows the nix-darwin
 * configuration that does the same wiring; apply writes nothing while one is in the way; remove
 * leaves a link alone.
 *
 * Only the file itself is checked (lstat): the directories above it may be links (`/etc` is a
 * link to `/private/etc` on macOS) without anyone managing the file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface LinkedFile {
  path: string;
  /** What the link says, resolved against its directory when relative. */
  target: string;
}

/** The link at `file`, or null when `file` is a plain file, a directory or absent. */
export async function linkAt(file: string): Promise<LinkedFile | null> {
  const stat = await fs.lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw error;
  });
  if (!stat?.isSymbolicLink()) return null;
  const target = await fs.readlink(file);
  return { path: file, target: path.resolve(path.dirname(file), target) };
}

/** Every link among `files`, in their order. */
export async function linksAmong(files: string[]): Promise<LinkedFile[]> {
  const links = await Promise.all(files.map(linkAt));
  return links.filter((link): link is LinkedFile => link !== null);
}

/** Who manages a link, judged by where it points. */
export function linkManager(link: LinkedFile): 'nix-darwin' | 'nix' | 'unknown' {
  if (link.target === '/etc/static' || link.target.startsWith('/etc/static/')) return 'nix-darwin';
  if (link.target.startsWith('/nix/store/')) return 'nix';
  return 'unknown';
}

/** The plan's problem for a link: what it is, why Builder Bar leaves it, what to do instead. */
export function linkProblemMessage(link: LinkedFile): string {
  const never = 'Builder Bar never replaces a link or writes through it';
  switch (linkManager(link)) {
    case 'nix-darwin':
      return `${link.path} is a symbolic link to ${link.target}: nix-darwin manages this file. ${never}: a change here is undone by the next darwin-rebuild, and a plain file in its place makes darwin-rebuild abort ("Unexpected files in /etc"). Add the nix-darwin configuration shown with this plan to your configuration and run darwin-rebuild switch instead.`;
    case 'nix':
      return `${link.path} is a symbolic link into the Nix store (${link.target}): nix-darwin or home-manager manages this file. ${never}: their next switch undoes a change here, and a plain file in its place makes that switch fail. Do the wiring in that configuration (the nix-darwin form is shown with this plan).`;
    case 'unknown':
      return `${link.path} is a symbolic link to ${link.target}. ${never}: whatever made the link (nix-darwin, home-manager, your dotfiles) would lose it or undo the change. Do the wiring where that link comes from (the nix-darwin form is shown with this plan), or replace the link with a plain file yourself and plan again.`;
  }
}

/** Why remove left a link alone, for its notes. */
export function linkRemoveNote(link: LinkedFile, backupPath: string | null): string {
  const kept = backupPath ? ` The file as it was before Builder Bar wired it is kept at ${backupPath}.` : '';
  return `${link.path} is now a symbolic link to ${link.target} (made after Builder Bar wired it, e.g. by nix-darwin): Builder Bar left the link as it is and wrote nothing there.${kept}`;
}

/**
 * Which directory a tracked path is right now: its inode and its `.git` entry's. A repository
 * deleted and cloned again at the same path (`rm -rf app && git clone … app`) keeps the path
 * but not these, and its old watches still watch the directories that were deleted, so the
 * service must watch and read it afresh. Null: nothing is at the path.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export async function repoIdentity(repoPath: string): Promise<string | null> {
  const [dir, dotGit] = await Promise.all([fs.stat(repoPath).catch(() => null), fs.lstat(path.join(repoPath, '.git')).catch(() => null)]);
  if (!dir) return null;
  return `${dir.dev}:${dir.ino} ${dotGit ? `${dotGit.dev}:${dotGit.ino}` : '-'}`;
}

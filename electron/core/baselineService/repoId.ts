/**
 * A tracked repository's id: a short slug of its directory name, unique among the tracked
 * ones (`my-app`, `my-app-2`). It names the repository in the tray, the CLI and build targets.
 */
import path from 'node:path';

export function repoIdFor(repoPath: string, taken: readonly string[]): string {
  const slug =
    path
      .basename(repoPath)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 34)
      .replace(/-+$/, '') || 'repo';
  if (!taken.includes(slug)) return slug;
  for (let n = 2; ; n += 1) {
    const candidate = `${slug}-${n}`;
    if (!taken.includes(candidate)) return candidate;
  }
}

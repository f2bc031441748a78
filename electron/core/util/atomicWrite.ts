/**
 * Files the app owns are replaced, never edited in place: write a temp file beside the target,
 * fsync it, rename it over the target, fsync the directory. A crash or a full disk leaves either
 * the old file or the new one, never half of each.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** The file's mode, set explicitly (umask does not decide it). */
  mode: number;
  /**
   * Default true: fsync the file and its directory, so the new content survives a power cut.
   * False for a file made again before every use (a crash then costs nothing): still replaced
   * whole by a rename, never seen half-written, but no wait for the disk.
   */
  durable?: boolean;
}

export async function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions): Promise<void> {
  const dir = path.dirname(target);
  const temp = tempBeside(target);
  const handle = await fs.open(temp, 'wx', options.mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(options.mode);
    if (options.durable !== false) await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  if (options.durable !== false) await syncDirectory(dir);
}

function tempBeside(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Removes the temp files a write of `target` left when its process was killed between creating
 * and renaming one (only names tempBeside makes: `.<name>.<12 hex digits>.tmp`). For files in a
 * directory the user owns (a conf dir), so a crash leaves no litter there after the next write.
 */
export async function removeStaleTemps(target: string): Promise<void> {
  const dir = path.dirname(target);
  const pattern = new RegExp(`^\\.${escapeRegExp(path.basename(target))}\\.[0-9a-f]{12}\\.tmp$`);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => pattern.test(name)).map((name) => fs.rm(path.join(dir, name), { force: true })));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A directory fsync makes the rename itself durable; not every platform allows it. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Creates a directory (and parents) and sets its mode even if it already existed. */
export async function ensurePrivateDir(dir: string, mode = 0o700): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode });
  await fs.chmod(dir, mode);
}

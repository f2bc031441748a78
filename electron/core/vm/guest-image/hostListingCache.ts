/**
 * The host files the guest image is built from (the build script's `--list-inputs`: ldd of each
 * program, modprobe's module dependencies, the newest kernel) and the Debian versions behind
 * them, kept between starts in the images dir. Both change only when packages or /boot do, yet
 * asking costs 0.1-0.3 s of every start (a bash script running ldd and modprobe, dpkg-query),
 * a tenth of a restore. The cache is keyed by the dpkg database's and /boot's size and mtime, the
 * script's own digest, its environment and bash; the listed files are still stat'ed at every
 * start (linuxTestImage.ts), so one replaced by hand still changes the image's hash. A cache file
 * that does not parse, or names anything but absolute paths, is ignored and rewritten.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface HostListing {
  /** Absolute paths of the host files the build reads. */
  files: string[];
  /** `package=version` lines. */
  packages: string[];
}

const FORMAT = 'host-listing/1';

async function statKey(file: string): Promise<string> {
  try {
    const info = await fs.stat(file);
    return `${info.size}:${Math.trunc(info.mtimeMs)}`;
  } catch {
    return 'absent';
  }
}

/** What the listing depends on besides the files it names. */
export async function hostListingKey(input: { scriptDigest: string; env: Record<string, string>; bash: string; dpkgStatus?: string; bootDir?: string }): Promise<string> {
  const parts = [
    FORMAT,
    input.scriptDigest,
    JSON.stringify(Object.entries(input.env).sort()),
    input.bash,
    await statKey(input.dpkgStatus ?? '/var/lib/dpkg/status'),
    await statKey(input.bootDir ?? '/boot'),
  ];
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

function isListing(value: unknown): value is HostListing {
  if (typeof value !== 'object' || value === null) return false;
  const { files, packages } = value as Record<string, unknown>;
  return Array.isArray(files) && files.every((file) => typeof file === 'string' && path.isAbsolute(file))
    && Array.isArray(packages) && packages.every((line) => typeof line === 'string');
}

/** The cached listing under `key`, or `compute()`'s, which is then kept (best effort). */
export async function cachedHostListing(cacheFile: string | null, key: string, compute: () => Promise<HostListing>): Promise<HostListing> {
  if (cacheFile) {
    try {
      const saved = JSON.parse(await fs.readFile(cacheFile, 'utf8')) as { key?: unknown; listing?: unknown };
      if (saved.key === key && isListing(saved.listing)) return saved.listing;
    } catch {
      // Absent or unreadable: computed below.
    }
  }
  const listing = await compute();
  if (cacheFile) {
    const temp = `${cacheFile}.${process.pid}.tmp`;
    try {
      await fs.writeFile(temp, JSON.stringify({ key, listing }), { mode: 0o600 });
      await fs.rename(temp, cacheFile);
    } catch {
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  }
  return listing;
}

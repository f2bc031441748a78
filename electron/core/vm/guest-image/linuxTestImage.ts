/**
 * The linux-test guest image cache: `<images>/linux-test-<hash>/{vmlinuz,initramfs.cpio.gz,
 * run-linux-test-vm}`, the last being the script that starts it (nixpkgs' NixOS VM script's
 * shape, with this dir's paths baked in). The hash covers everything the build reads: the files
 * under resources/guest (the build script, /init, inittab, boot and shutdown scripts,
 * sshd_config, nix.conf, ...), every host file the script copies or names (kernel, busybox,
 * nix, sshd, e2fsprogs, their libraries, the kernel modules, QEMU and bash; path, size and
 * mtime) and the Debian versions of the packages behind them. Equal hash: the cached image is
 * used as is. Otherwise the script builds into a temporary dir inside the images dir, which is
 * renamed into place (atomic; the script is told the final name), and older images are pruned.
 */
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BuilderBarError } from '../../errors.js';
import { findResourcesDir } from '../../util/resourcesDir.js';
import { cachedHostListing, hostListingKey } from './hostListingCache.js';
import { BASH, findOnPath, requireTool } from './hostTools.js';

export const LINUX_TEST_IMAGE_PREFIX = 'linux-test-';
const BUILD_SCRIPT = 'build-linux-test-image.sh';
/** Bumped when the cache layout or hashing itself changes. */
const CACHE_FORMAT = 'linux-test-image/2';
/** The Debian packages whose versions go into the hash (and into the image's manifest). */
const DEBIAN_PACKAGES = ['busybox-static', 'openssh-server', 'nix-bin', 'e2fsprogs', 'libc6', 'qemu-system-x86', 'qemu-utils'];
/** The run script's name in the image dir (nixpkgs names its own `run-<name>-vm`). */
export const LINUX_TEST_RUN_SCRIPT = 'run-linux-test-vm';
const IMAGE_FILES = ['vmlinuz', 'initramfs.cpio.gz', LINUX_TEST_RUN_SCRIPT] as const;

export interface LinuxTestImage {
  dir: string;
  kernel: string;
  initramfs: string;
  /** Starts the guest; reads the environment described in profiles/runScriptEnv.ts. */
  runScript: string;
  hash: string;
  /** True when this call built it; false when the cache had it. */
  built: boolean;
}

export interface EnsureLinuxTestImageInput {
  imagesDir: string;
  report: (message: string) => void;
  /** Defaults to resources/guest of this checkout or app. */
  guestResourcesDir?: string;
  /** A specific /boot/vmlinuz-*; default: the newest. */
  kernel?: string;
  signal?: AbortSignal;
}

/** resources/guest, found by walking up from this module (works from sources and from out/). */
export function defaultGuestResourcesDir(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  return findResourcesDir('guest', BUILD_SCRIPT, from);
}

/** Every file under dir, sorted, as relative paths (symlinks listed, not followed). */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await fs.readdir(path.join(dir, prefix), { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** A script's last stderr line, which says what is missing and how to get it. */
function scriptFailure(what: string, stderr: string): BuilderBarError {
  const lines = stderr.trim().split('\n').filter((line) => line.trim() !== '');
  const last = lines[lines.length - 1] ?? 'no output';
  const install = /: on Debian run (apt-get install .+)$/.exec(last);
  if (install) {
    return new BuilderBarError('vm-failed', last.replace(/^build-linux-test-image: /, '').replace(/: on Debian run .*$/, ''), `On Debian run: ${install[1]}`);
  }
  return new BuilderBarError('vm-failed', `${what} failed: ${last}`, 'The app log has the build output.');
}

async function debianVersions(): Promise<string[]> {
  if (!(await findOnPath('dpkg-query'))) return ['dpkg-query: absent'];
  const result = await execa('dpkg-query', ['-W', '-f', '${Package}=${Version}\n', ...DEBIAN_PACKAGES], { reject: false });
  // A package dpkg does not know is reported on stderr; the build script then names it.
  return result.stdout.split('\n').filter((line) => line !== '').sort();
}

interface ImageInputs {
  hash: string;
  manifest: string;
}

/** The file in the images dir that keeps the host listing between starts (hostListingCache.ts). */
const HOST_LISTING_CACHE = 'host-listing.json';

export async function hashLinuxTestImageInputs(guestResourcesDir: string, env: Record<string, string>, bash: string, cacheFile: string | null = null): Promise<ImageInputs> {
  const hash = createHash('sha256');
  const manifest: string[] = [CACHE_FORMAT];
  hash.update(`${CACHE_FORMAT}\n`);
  let scriptDigest = '';
  for (const rel of await listFiles(guestResourcesDir)) {
    const full = path.join(guestResourcesDir, rel);
    const info = await fs.lstat(full);
    const content = info.isSymbolicLink() ? `symlink:${await fs.readlink(full)}` : await fs.readFile(full);
    const digest = createHash('sha256').update(content).digest('hex');
    if (rel === BUILD_SCRIPT) scriptDigest = digest;
    // The mode matters too: an init that lost its x bit is another image.
    const line = `resource ${rel} ${(info.mode & 0o777).toString(8)} ${digest}`;
    manifest.push(line);
    hash.update(`${line}\n`);
  }
  const key = await hostListingKey({ scriptDigest, env, bash });
  const listing = await cachedHostListing(cacheFile, key, async () => {
    // The script and dpkg-query run side by side.
    const [listed, packages] = await Promise.all([
      execa(bash, [path.join(guestResourcesDir, BUILD_SCRIPT), '--list-inputs'], { reject: false, env, extendEnv: true }),
      debianVersions(),
    ]);
    if (listed.exitCode !== 0) throw scriptFailure('Listing the guest image inputs', listed.stderr);
    return { files: listed.stdout.split('\n').filter((line) => line !== ''), packages };
  });
  for (const hostFile of listing.files) {
    const info = await fs.stat(hostFile);
    const line = `host ${hostFile} ${info.size} ${Math.trunc(info.mtimeMs)}`;
    manifest.push(line);
    hash.update(`${line}\n`);
  }
  for (const version of listing.packages) {
    const line = `package ${version}`;
    manifest.push(line);
    hash.update(`${line}\n`);
  }
  return { hash: hash.digest('hex').slice(0, 16), manifest: `${manifest.join('\n')}\n` };
}

async function isCompleteImage(dir: string): Promise<boolean> {
  try {
    const sizes = await Promise.all(IMAGE_FILES.map(async (name) => (await fs.stat(path.join(dir, name))).size));
    return sizes.every((size) => size > 0);
  } catch {
    return false;
  }
}

async function pruneOtherImages(imagesDir: string, keep: string): Promise<void> {
  for (const name of await fs.readdir(imagesDir)) {
    const isOldImage = name.startsWith(LINUX_TEST_IMAGE_PREFIX) && name !== keep;
    const isLeftoverBuild = name.startsWith(`.building-${LINUX_TEST_IMAGE_PREFIX}`);
    if (isOldImage || isLeftoverBuild) await fs.rm(path.join(imagesDir, name), { recursive: true, force: true });
  }
}

/** One build at a time per images dir within this process; concurrent callers share it. */
const inFlight = new Map<string, Promise<LinuxTestImage>>();

/** The errors of builds their starter cancelled: a caller that joined such a build starts its own. */
const cancelledBuilds = new WeakSet<object>();

export function ensureLinuxTestImage(input: EnsureLinuxTestImageInput): Promise<LinuxTestImage> {
  const key = path.resolve(input.imagesDir);
  const running = inFlight.get(key);
  if (running) {
    // The shared build runs under its starter's signal: a stop that cancels it must not fail a
    // start that joined it (the builder would report "cancelled" for a start nobody cancelled).
    return running.catch((error: unknown) => {
      if (typeof error === 'object' && error !== null && cancelledBuilds.has(error) && !input.signal?.aborted) return ensureLinuxTestImage(input);
      throw error;
    });
  }
  const promise = buildOrReuse(input).finally(() => inFlight.delete(key));
  inFlight.set(key, promise);
  return promise;
}

async function buildOrReuse(input: EnsureLinuxTestImageInput): Promise<LinuxTestImage> {
  const bash = await requireTool(BASH);
  const resources = input.guestResourcesDir ?? defaultGuestResourcesDir();
  const env: Record<string, string> = input.kernel ? { BUILDER_BAR_GUEST_KERNEL: input.kernel } : {};
  const cacheFile = await fs.mkdir(input.imagesDir, { recursive: true, mode: 0o700 }).then(() => path.join(input.imagesDir, HOST_LISTING_CACHE), () => null);
  const { hash, manifest } = await hashLinuxTestImageInputs(resources, env, bash, cacheFile);
  const name = `${LINUX_TEST_IMAGE_PREFIX}${hash}`;
  const dir = path.join(input.imagesDir, name);
  const image = (built: boolean): LinuxTestImage => ({
    dir, kernel: path.join(dir, 'vmlinuz'), initramfs: path.join(dir, 'initramfs.cpio.gz'), runScript: path.join(dir, LINUX_TEST_RUN_SCRIPT), hash, built,
  });
  if (await isCompleteImage(dir)) return image(false);

  await fs.mkdir(input.imagesDir, { recursive: true, mode: 0o700 });
  await pruneOtherImages(input.imagesDir, name);
  input.report(`Building the linux-test guest image ${hash} (its inputs changed or it is the first start)…`);
  const started = Date.now();
  const temp = await fs.mkdtemp(path.join(input.imagesDir, `.building-${LINUX_TEST_IMAGE_PREFIX}`));
  try {
    // The run script names the kernel and initramfs where they end up: the final dir.
    const result = await execa(bash, [path.join(resources, BUILD_SCRIPT), temp, dir], {
      reject: false, env, extendEnv: true, ...(input.signal ? { cancelSignal: input.signal } : {}),
    });
    if (result.isCanceled) {
      const cancelled = new BuilderBarError('vm-failed', 'Building the guest image was cancelled.');
      cancelledBuilds.add(cancelled);
      throw cancelled;
    }
    if (result.exitCode !== 0) throw scriptFailure('Building the linux-test guest image', result.stderr);
    await fs.writeFile(path.join(temp, 'inputs.txt'), manifest, { mode: 0o644 });
    await fs.chmod(temp, 0o755);
    // An incomplete dir under the final name cannot come from this code (it renames whole
    // builds), but a hand-edited cache could hold one: replace it rather than fail.
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(temp, dir);
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw error;
  }
  input.report(`Built the linux-test guest image in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return image(true);
}

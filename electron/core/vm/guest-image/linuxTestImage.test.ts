// The image cache with a stand-in build script (the real one runs in the integration test):
// equal inputs reuse the image, a changed input or script rebuilds it and prunes the old one,
// and a missing package reaches the user as the command that installs it.
import { mkdtemp, readdir, readFile, rm, writeFile, chmod, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultGuestResourcesDir, ensureLinuxTestImage } from './linuxTestImage.js';

let root = '';
let resources = '';
let imagesDir = '';
let hostInput = '';

const FAKE_SCRIPT = `#!/usr/bin/env bash
set -euo pipefail
here="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
if [[ -e "$here/missing" ]]; then echo "build-linux-test-image: /usr/bin/nix not found: on Debian run apt-get install nix-bin" >&2; exit 1; fi
if [[ "$1" == "--list-inputs" ]]; then echo listed >> "$BUILD_LOG.listings"; echo "$HOST_INPUT"; exit 0; fi
echo built >> "$BUILD_LOG"
echo kernel > "$1/vmlinuz"
cat "$HOST_INPUT" > "$1/initramfs.cpio.gz"
echo "exec qemu -kernel $2/vmlinuz" > "$1/run-linux-test-vm"
`;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'image-cache-'));
  resources = path.join(root, 'guest');
  imagesDir = path.join(root, 'state', 'images');
  hostInput = path.join(root, 'host-busybox');
  await mkdir(path.join(resources, 'rootfs'), { recursive: true });
  await writeFile(path.join(resources, 'build-linux-test-image.sh'), FAKE_SCRIPT);
  await chmod(path.join(resources, 'build-linux-test-image.sh'), 0o755);
  await writeFile(path.join(resources, 'rootfs', 'init'), '#!/bin/sh\n');
  await writeFile(hostInput, 'busybox v1');
  process.env.HOST_INPUT = hostInput;
  process.env.BUILD_LOG = path.join(root, 'builds.log');
});
afterEach(async () => {
  delete process.env.HOST_INPUT;
  delete process.env.BUILD_LOG;
  await rm(root, { recursive: true, force: true });
});

const ensure = () => ensureLinuxTestImage({ imagesDir, report: () => undefined, guestResourcesDir: resources });
const builds = async () => (await readFile(path.join(root, 'builds.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

describe('linux-test image cache', () => {
  it('builds once and reuses the image while nothing changed', async () => {
    const first = await ensure();
    const second = await ensure();
    expect(first.built).toBe(true);
    expect(second.built).toBe(false);
    expect(second.dir).toBe(first.dir);
    expect(await builds()).toBe(1);
    expect(await readFile(first.initramfs, 'utf8')).toBe('busybox v1');
    expect(await readFile(path.join(first.dir, 'inputs.txt'), 'utf8')).toContain(`host ${hostInput} `);
  });

  it('tells the build script the final dir, which the run script names', async () => {
    const image = await ensure();
    expect(image.runScript).toBe(path.join(image.dir, 'run-linux-test-vm'));
    expect(await readFile(image.runScript, 'utf8')).toBe(`exec qemu -kernel ${image.dir}/vmlinuz\n`);
  });

  it('rebuilds when a host package file changes, and prunes the old image', async () => {
    const first = await ensure();
    await writeFile(hostInput, 'busybox v2, a longer file');
    const second = await ensure();
    expect(second.built).toBe(true);
    expect(second.hash).not.toBe(first.hash);
    expect(await readFile(second.initramfs, 'utf8')).toBe('busybox v2, a longer file');
    // The host listing's cache stays (hostListingCache.ts); old images go.
    expect((await readdir(imagesDir)).sort()).toEqual(['host-listing.json', path.basename(second.dir)]);
  });

  it('keeps the host listing between starts, so a start with nothing changed does not run the script', async () => {
    const listings = async () => (await readFile(path.join(root, 'builds.log.listings'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    const first = await ensure();
    expect(await listings()).toBe(1);
    const again = await ensure();
    expect(again).toMatchObject({ built: false, hash: first.hash });
    expect(await listings()).toBe(1);
    // A cache file that is not a listing is ignored and rewritten.
    await writeFile(path.join(imagesDir, 'host-listing.json'), '{"key": 1, "listing": {"files": ["relative"]}}');
    expect((await ensure()).hash).toBe(first.hash);
    expect(await listings()).toBe(2);
  });

  it('rebuilds when the guest\'s own files change', async () => {
    const first = await ensure();
    await writeFile(path.join(resources, 'rootfs', 'init'), '#!/bin/sh\necho changed\n');
    const second = await ensure();
    expect(second.hash).not.toBe(first.hash);
    expect(await builds()).toBe(2);
  });

  it('shares one build between concurrent callers', async () => {
    const [a, b] = await Promise.all([ensure(), ensure()]);
    expect(a).toEqual(b);
    expect(await builds()).toBe(1);
  });

  it('a caller that joined a build its starter then cancelled gets an image, not the cancellation', async () => {
    await writeFile(path.join(resources, 'build-linux-test-image.sh'), FAKE_SCRIPT.replace('echo built >> "$BUILD_LOG"', 'echo built >> "$BUILD_LOG"; sleep 1'));
    const stop = new AbortController();
    const first = ensureLinuxTestImage({ imagesDir, report: () => undefined, guestResourcesDir: resources, signal: stop.signal });
    const joined = ensure();
    while ((await builds()) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort();
    await expect(first).rejects.toThrow(/cancelled/);
    const image = await joined;
    expect(await readFile(image.initramfs, 'utf8')).toBe('busybox v1');
  });

  it('names the missing package and the command that installs it', async () => {
    await writeFile(path.join(resources, 'missing'), '');
    await expect(ensure()).rejects.toMatchObject({
      code: 'vm-failed', message: '/usr/bin/nix not found', hint: 'On Debian run: apt-get install nix-bin',
    });
  });

  it('finds resources/guest of this checkout', () => {
    expect(defaultGuestResourcesDir()).toMatch(/resources\/guest$/);
  });
});

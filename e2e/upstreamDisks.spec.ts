/**
 * A disk nixpkgs' builder left in the home directory (`nix run nixpkgs#darwin.linux-builder`
 * writes ~/nixos.qcow2), offered in the Mac builder's settings and imported as a copy through the
 * headless door with the real core and real qemu-img: the original is unchanged, the builder's
 * own disk is the copy, and the offer then says the builder has its own disk.
 */
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test as base } from './fixtures/headlessDoor.js';
import { openPlace } from './fixtures/places.js';

// A fixture, not made when the file loads: Playwright loads it in its runner process too, where no
// hook runs. The door depends on it, so `serve` is stopped before the home is removed.
const test = base.extend<{ home: string }>({
  home: async ({}, use) => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'bb-e2e-home-'));
    try {
      await use(home);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  },
  serveEnv: async ({ home }, use) => {
    await use({ HOME: home });
  },
});

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

test('an older builder disk in the home directory is offered and imported as a copy, the original untouched', async ({ page, door, home }) => {
  const upstream = path.join(home, 'nixos.qcow2');
  await execa('qemu-img', ['create', '-q', '-f', 'qcow2', upstream, '2G']);
  const before = await sha256(upstream);
  expect((await door.cli(['settings', 'set', 'profile=darwin-linux-builder'])).exitCode).toBe(0);
  expect((await door.cli(['image', 'disks'])).stdout).toContain(`${upstream}  `);

  await page.goto(door.url);
  await openPlace(page, 'Settings');
  const offer = page.locator('.upstream-disks');
  await expect(offer).toContainText(upstream);
  await expect(offer).toContainText('nix run nixpkgs#darwin.linux-builder');
  await offer.getByRole('button', { name: 'Import a copy' }).click();
  await expect(offer).toContainText(`Imported ${upstream}; the builder starts from it at its next start. The original is unchanged.`);
  await expect(offer).toContainText('The builder already has its own disk');
  await expect(offer.getByRole('button', { name: 'Import a copy' })).toHaveCount(0);

  expect(await sha256(upstream)).toBe(before);
  expect(await sha256(path.join(door.stateDir, 'vm', 'disk.qcow2'))).toBe(before);
  const again = await door.cli(['image', 'import-disk', upstream]);
  expect(again.exitCode).not.toBe(0);
  expect(again.stderr).toContain('already has its own disk');
});

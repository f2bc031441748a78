/**
 * Choosing the Nix in the dashboard, through the headless door with the real core: the status
 * header shows the Nix in use (the host's Debian Nix, found on PATH), the settings form refuses a
 * directory that holds no Nix with the core's reason, takes one that does (a fake Nix 2.34.8)
 * and says so, and an emptied field goes back to the automatic choice.
 */
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFakeNix } from '../electron/core/nix/testing/fakeNix.js';
import { expect, test } from './fixtures/headlessDoor.js';
import { openPlace } from './fixtures/places.js';

test('the Nix directory setting: refused without Nix, shown in the header once chosen, automatic when emptied', async ({ page, door }) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'bb-e2e-nix-'));
  try {
    const noNix = path.join(root, 'no-nix');
    await mkdir(noNix);
    const fake = await writeFakeNix(path.join(root, 'nix-2.34', 'bin'));

    await page.goto(door.url);
    const inUse = page.getByLabel('Nix in use');
    await expect(inUse).toHaveText(/^2\.\d+\.\d+ in \//);
    const automatic = (await inUse.textContent()) ?? '';
    // QEMU, qemu-img, git and ssh are all on this machine's PATH (on Linux no login shell is asked).
    await expect(page.getByLabel('Where the programs Builder Bar runs were found')).toHaveText('all found');

    // The header is the Builder place's; the field is in Settings.
    await openPlace(page, 'Settings');
    const field = page.getByRole('textbox', { name: 'Nix directory' });
    await expect(field).toHaveValue('');
    await expect(page.getByText(/^Automatic: Nix 2\.\d+\.\d+ in \/.*\(found/)).toBeVisible();
    const save = page.getByRole('button', { name: 'Save' });

    await field.fill(noNix);
    await save.click();
    await expect(page.getByText(`Settings not saved: nixBinDir: ${noNix} holds no "nix" program.`)).toBeVisible();
    expect((await door.cli(['settings', 'get', 'nixBinDir'])).stdout.trim()).toBe('null');

    await field.fill(fake.binDir);
    await save.click();
    await expect(page.getByLabel('Settings saved')).toContainText(`Builder Bar now uses Nix 2.34.8 in ${fake.binDir} (the nixBinDir setting).`);
    await openPlace(page, 'Builder');
    await expect(inUse).toHaveText(`2.34.8 in ${fake.binDir}`);
    expect((await door.cli(['status'])).stdout).toContain(`Nix: 2.34.8 in ${fake.binDir} (the nixBinDir setting)`);

    await openPlace(page, 'Settings');
    await field.fill('');
    await save.click();
    await openPlace(page, 'Builder');
    await expect(inUse).toHaveText(automatic);
    expect((await door.cli(['settings', 'get', 'nixBinDir'])).stdout.trim()).toBe('null');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

/**
 * The Nix panel through the headless door, with real Nix and no VM: detect, plan (every file's
 * change, never the private key), apply (then nothing left to write), remove (the conf dir is
 * as it was). Verify needs the builder; the integration tests cover it.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from './fixtures/headlessDoor.js';

test('plan shows the change to every file, apply writes it once, remove takes it all back', async ({ page, door }) => {
  await page.goto(door.url);
  const panel = page.getByRole('region', { name: 'Nix wiring' });
  await expect(panel.getByLabel('Nix on this machine')).toContainText('2.8');
  const confDir = path.join(door.stateDir, 'nix-conf');
  await expect(panel.getByRole('textbox', { name: /Config directory/ })).toHaveValue(confDir);

  await panel.getByRole('button', { name: 'Plan' }).click();
  const machines = panel.getByLabel(`Change to ${path.join(confDir, 'machines')}`);
  await expect(machines).toContainText('ssh://builder-bar-linux x86_64-linux');
  await expect(panel.getByLabel(`Change to ${path.join(confDir, 'ssh_config')}`)).toContainText('StrictHostKeyChecking yes');
  await expect(page.locator('body')).not.toContainText('PRIVATE KEY');

  await panel.getByRole('button', { name: 'Apply' }).click();
  await expect(panel.getByLabel('Wiring result')).toBeVisible();
  await expect(panel.getByLabel('Wiring plan')).toContainText(/nothing to write/);
  await expect(panel.getByRole('button', { name: 'Apply' })).toBeDisabled();
  await expect(panel.getByLabel('Environment')).toContainText(`NIX_CONF_DIR=${confDir}`);
  expect(await readFile(path.join(confDir, 'machines'), 'utf8')).toContain('ssh://builder-bar-linux');

  await panel.getByRole('button', { name: 'Remove' }).click();
  await expect(panel.getByLabel('Wiring result')).toContainText(/Deleted/);
  const left = existsSync(confDir) ? await readdir(confDir) : [];
  expect(left).toEqual([]);
});

test('a relative config directory is refused with the reason before anything is asked', async ({ page, door }) => {
  await page.goto(door.url);
  const panel = page.getByRole('region', { name: 'Nix wiring' });
  await panel.getByRole('textbox', { name: /Config directory/ }).fill('relative/dir');
  await expect(panel.getByText(/absolute/)).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Plan' })).toBeDisabled();
});

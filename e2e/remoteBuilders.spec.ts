/**
 * The Remote builders panel through the headless door, no VM: the add form shows the schema's
 * messages as the user types; a builder added with a key that cannot be read is checked at once
 * and shown with the reason in words; Remove takes it away again, in the core's settings too.
 */
import path from 'node:path';
import { expect, test } from './fixtures/headlessDoor.js';
import { openPlace } from './fixtures/places.js';

test('add a remote builder, see its health check in words, and remove it', async ({ page, door }) => {
  await page.goto(door.url);
  await openPlace(page, 'Builders');
  const panel = page.getByRole('region', { name: 'Remote builders' });
  await expect(panel.getByText('Only the builder VM.')).toBeVisible();
  await panel.getByRole('button', { name: 'Add…' }).click();
  const form = panel.getByRole('form', { name: 'Add a remote builder' });
  const field = (name: string) => form.getByRole('textbox', { name, exact: true });

  await field('Name').fill('Big Box');
  await expect(form.getByText('use 1-31 lower-case letters, digits and dashes, starting with a letter or digit')).toBeVisible();
  await field('Host').fill('bad host');
  await expect(form.getByText('a host name or an IPv4 address')).toBeVisible();
  await field('Private key').fill('id_ed25519');
  await expect(form.getByText('an absolute path')).toBeVisible();

  const missingKey = path.join(door.stateDir, 'no-such-key');
  await field('Name').fill('big-box');
  await field('Host').fill('127.0.0.1');
  await field('Port').fill('9');
  await field('User').fill('nix');
  await field('Private key').fill(missingKey);
  await field('Host key (from ssh-keyscan -t ed25519 HOST)').fill('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHZ0ZXN0a2V5');
  await expect(form.locator('.field-error')).toHaveCount(0);
  await form.getByRole('button', { name: 'Add builder' }).click();

  const item = panel.getByRole('listitem', { name: 'Remote builder big-box' });
  await expect(item).toContainText('ssh-ng://nix@127.0.0.1:9');
  await expect(item.getByLabel('Health')).toHaveText('Login refused');
  await expect(item).toContainText(`Cannot read the ssh key ${missingKey}`);
  // The form empties once the core took the builder.
  await expect(field('Name')).toHaveValue('');

  const saved = await door.cli(['settings', 'get', '--json']);
  expect(JSON.parse(saved.stdout).remoteBuilders).toEqual([expect.objectContaining({ id: 'big-box', port: 9, user: 'nix' })]);

  await item.getByRole('button', { name: 'Check' }).click();
  await expect(item.getByLabel('Health')).toHaveText('Login refused');
  await item.getByRole('button', { name: 'Remove' }).click();
  await expect(item).toBeHidden();
  await expect(panel.getByText('Only the builder VM.')).toBeVisible();
  const after = await door.cli(['settings', 'get', '--json']);
  expect(JSON.parse(after.stdout).remoteBuilders).toEqual([]);
});

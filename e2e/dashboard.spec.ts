/**
 * The Dashboard and the Logs window through the headless door, with no builder VM: settings
 * validation and persistence, the logs page, and what a wrong token looks like.
 */
import { expect, test } from './fixtures/headlessDoor.js';
import { openPlace } from './fixtures/places.js';

test('the settings form refuses an invalid value with the schema message and keeps a valid one', async ({ page, door }) => {
  await page.goto(door.url);
  await expect(page.getByRole('status', { name: 'Builder state' })).toHaveText(/Stopped/);
  await openPlace(page, 'Settings');

  const cpus = page.getByRole('textbox', { name: 'CPUs' });
  const memory = page.getByRole('textbox', { name: 'Memory' });
  const save = page.getByRole('button', { name: 'Save' });

  await cpus.fill('0');
  // The contract's own message, shown before anything is sent.
  await expect(page.getByText('at least 1 core')).toBeVisible();
  await expect(cpus).toHaveAttribute('aria-invalid', 'true');
  await expect(save).toBeDisabled();

  await cpus.fill('1');
  await expect(page.getByText('at least 1 core')).toBeHidden();
  await memory.fill('768');
  await expect(save).toBeEnabled();
  await save.click();
  await expect(page.getByLabel('Settings saved')).toContainText(/Saved|Restart/);

  // Persisted by the core, not just kept by the page; the reload stays in Settings.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Settings');
  await expect(memory).toHaveValue('768');
  const fromCli = await door.cli(['settings', 'get']);
  expect(fromCli.stdout).toMatch(/768/);
});

test('Open at Login is off by default, and the Settings place turns it on and off for every door', async ({ page, door }) => {
  await page.goto(door.url);
  await openPlace(page, 'Settings');
  const openAtLogin = page.getByRole('checkbox', { name: 'Open Builder Bar at login' });
  const save = page.getByRole('button', { name: 'Save' });
  await expect(openAtLogin).not.toBeChecked();
  expect(JSON.parse((await door.cli(['settings', 'get', '--json'])).stdout)).toMatchObject({ openAtLogin: false });

  await openAtLogin.check();
  await save.click();
  await expect(page.getByLabel('Settings saved')).toBeVisible();
  expect(JSON.parse((await door.cli(['settings', 'get', '--json'])).stdout)).toMatchObject({ openAtLogin: true });
  await page.reload();
  await expect(openAtLogin).toBeChecked();

  // Turned off from the CLI, the open page follows without a reload.
  await door.cli(['settings', 'set', 'openAtLogin=false']);
  await expect(openAtLogin).not.toBeChecked();
});

test('the Logs window shows the app log and filters it by source', async ({ page, door }) => {
  await page.goto(door.url);
  const [logs] = await Promise.all([page.waitForEvent('popup'), page.getByRole('link', { name: 'Open Logs' }).click()]);
  await expect(logs).toHaveURL(/logs\.html$/);
  const list = logs.getByRole('log', { name: 'Log lines' });
  await expect(list).toContainText(/core started/);

  await logs.getByRole('checkbox', { name: 'app' }).uncheck();
  await expect(list).not.toContainText(/core started/);
  await logs.getByRole('checkbox', { name: 'app' }).check();
  await expect(list).toContainText(/core started/);

  await logs.getByRole('button', { name: 'Save diagnostics' }).click();
  await expect(logs.getByLabel('Diagnostics saved')).toContainText(/builder-bar-diagnostics-.*\.tar\.gz/);
});

test('a page with a wrong token says it is disconnected and does not show stale data', async ({ page, door }) => {
  const wrong = new URL(door.url);
  wrong.hash = '#token=not-the-token';
  await page.goto(wrong.toString());
  await expect(page.getByRole('alert')).toContainText(/Disconnected from Builder Bar — reconnecting/);
  await expect(page.getByRole('status', { name: 'Builder state' })).toHaveText(/Loading/);
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeDisabled();
});

test.describe('a settings.json broken by a hand edit', () => {
  test.use({ stateFiles: { 'settings.json': '{ "cpus": 2, "memoryMiB": 1536, }\n' } });

  test('is named in the Settings place and in status, with where the file went, not only in the app log', async ({ page, door }) => {
    await page.goto(door.url);
    await openPlace(page, 'Settings');
    const note = page.getByRole('note', { name: 'Settings file problems' });
    await expect(note).toContainText('not valid JSON');
    await expect(note).toContainText(/moved to .*settings\.json\.broken-.*; using defaults/);
    // The defaults are in use (the file asked for 2 CPUs).
    await expect(page.getByRole('textbox', { name: 'CPUs' })).toHaveValue('1');

    const status = await door.cli(['status']);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toMatch(/^Settings: Settings file .*settings\.json could not be used: it is not valid JSON/m);
  });
});

/**
 * The Logs window's search, level filter and Next error through the headless door, with no
 * builder VM: the app log alone holds the lines searched for.
 */
import { expect, test } from './fixtures/headlessDoor.js';

test('the Logs window finds, highlights and steps through a search, and filters by level', async ({ page, door }) => {
  await page.goto(door.url);
  const [logs] = await Promise.all([page.waitForEvent('popup'), page.getByRole('link', { name: 'Open Logs' }).click()]);
  const list = logs.getByRole('log', { name: 'Log lines' });
  await expect(list).toContainText(/core started/);

  const search = logs.getByRole('searchbox', { name: 'Search logs' });
  const counter = logs.getByLabel('Search matches');
  // Mixed case: the search is case-insensitive.
  await search.fill('Core Started');
  await expect(list.locator('mark').first()).toHaveText(/core started/i);
  // Nothing navigated to yet: "0 of N".
  await expect(counter).toHaveText(/^0 of [1-9]\d*$/);

  await logs.getByRole('button', { name: 'Next', exact: true }).click();
  await expect(counter).toHaveText(/^1 of [1-9]\d*$/);
  await expect(list.locator('.current-match mark')).toHaveText(/core started/i);
  // Navigating stops following the tail.
  await expect(logs.getByRole('button', { name: 'Jump to latest' })).toBeVisible();

  // A query with regex characters is plain text: it matches nothing here.
  await search.fill('core.started');
  await expect(counter).toHaveText('No matches');
  await expect(list.locator('mark')).toHaveCount(0);

  await search.fill('');
  const info = logs.getByRole('checkbox', { name: 'info', exact: true });
  await expect(list.locator('.level-info').first()).toBeVisible();
  await info.uncheck();
  await expect(list.locator('.level-info')).toHaveCount(0);
  await expect(list).not.toContainText(/core started/);
  await info.check();
  await expect(list).toContainText(/core started/);
});

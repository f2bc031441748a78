/**
 * The Logs window's search, level filter, Next error and follow mode through the headless door,
 * with no builder VM: the app log alone holds the lines.
 */
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test, type HeadlessDoor } from './fixtures/headlessDoor.js';

/** The Logs window, short enough that the app log's lines overflow it, following the tail. */
async function openOverflowingLogs(page: Page, door: HeadlessDoor) {
  // Lines for the app log without a builder: remote builders that are added and removed (their
  // key does not exist, so each check fails at once).
  for (let i = 0; i < 4; i += 1) {
    const args = ['builders', 'add', `scratch-${i}`, '--host', '127.0.0.1', '--port', '9', '--user', 'nix'];
    await door.cli([...args, '--key', path.join(door.stateDir, 'no-such-key'), '--host-key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHZ0ZXN0a2V5']);
    await door.cli(['builders', 'remove', `scratch-${i}`]);
  }
  await page.goto(door.url);
  const [logs] = await Promise.all([page.waitForEvent('popup'), page.getByRole('link', { name: 'Open Logs' }).click()]);
  const list = logs.getByRole('log', { name: 'Log lines' });
  await expect(list).toContainText(/Removed remote builder scratch-3/);
  await logs.setViewportSize({ width: 700, height: 160 });
  const scroller = list.locator('[data-log-scroller]');
  await expect.poll(() => scroller.evaluate((element) => element.scrollHeight - element.clientHeight)).toBeGreaterThan(40);
  const jump = logs.getByRole('button', { name: 'Jump to latest' });
  await expect(jump).toBeHidden();
  return { logs, list, scroller, jump };
}

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

test('scrolling up keeps "Jump to latest" even when the list settles back onto the tail by itself', async ({ page, door }) => {
  const { logs, list, scroller, jump } = await openOverflowingLogs(page, door);

  await list.hover();
  await logs.mouse.wheel(0, -500);
  await expect(jump).toBeVisible();
  // What Virtuoso does on its own on a slow machine (settling onto the tail right after the
  // window opens): the view lands on the bottom a moment after the user scrolled up. That is not
  // the user's doing, so following stays off.
  await scroller.evaluate((element) => {
    element.scrollTop = element.scrollHeight;
  });
  await expect.poll(() => scroller.evaluate((element) => element.scrollHeight - element.clientHeight - element.scrollTop)).toBeLessThan(2);
  await logs.waitForTimeout(300);
  await expect(jump).toBeVisible();

  // Scrolling down onto the tail is the user asking to follow again.
  await logs.mouse.wheel(0, -500);
  await expect(jump).toBeVisible();
  await logs.mouse.wheel(0, 2_000);
  await expect(jump).toBeHidden();
});

test('End follows the tail again at once, however late the browser gets the view there', async ({ page, door }) => {
  const { logs, list, scroller, jump } = await openOverflowingLogs(page, door);
  await list.hover();
  await logs.mouse.wheel(0, -500);
  await expect(jump).toBeVisible();

  // A loaded machine (the CI that found this): the browser's animated scroll to the bottom ended
  // seconds after the press. Here every clock reading after the press is 5 s later.
  await logs.evaluate(() => {
    window.addEventListener(
      'keydown',
      () => {
        const real = Date.now.bind(Date);
        Date.now = () => real() + 5_000;
      },
      { once: true },
    );
  });
  await scroller.focus();
  await logs.keyboard.press('End');
  await expect(jump).toBeHidden();
  await expect.poll(() => scroller.evaluate((element) => element.scrollHeight - element.clientHeight - element.scrollTop)).toBeLessThan(2);
});

/**
 * The headless door's token leaves the address bar once a page has read it (it would otherwise
 * stay in the tab's history, a bookmark or a copied address), a reload still connects, and the
 * page `serve --open` hands the browser (a file, so the opener's arguments carry no token)
 * leads to a connected dashboard. Both pages are cross-origin isolated (the door's COOP + COEP):
 * no other site's window keeps a handle on them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from '@playwright/test';
import { writeOpenPage } from '../electron/doors/openPage.js';
import { expect, test } from './fixtures/headlessDoor.js';

function tokenOf(url: string): string {
  return new URL(url).hash.replace('#token=', '');
}

async function expectConnected(page: Page): Promise<void> {
  await expect(page.getByRole('status', { name: 'Builder state' })).toHaveText(/Stopped/);
  await expect(page.getByRole('alert')).toHaveCount(0);
}

test('the dashboard drops the token from its address and still connects after a reload', async ({ page, door }) => {
  const token = tokenOf(door.url);
  await page.goto(door.url);
  await expectConnected(page);
  expect(page.url()).not.toContain(token);
  expect(await page.evaluate(() => location.hash)).toBe('');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

  await page.reload();
  await expectConnected(page);
  expect(page.url()).not.toContain(token);

  // The printed address again in the same tab: a fragment change, dropped all the same.
  await page.goto(door.url);
  await expect.poll(() => page.url()).not.toContain(token);
  await expectConnected(page);
});

test('the Logs window opened from the dashboard connects, drops the token and survives a reload', async ({ page, door }) => {
  const token = tokenOf(door.url);
  await page.goto(door.url);
  const [logs] = await Promise.all([page.waitForEvent('popup'), page.getByRole('link', { name: 'Open Logs' }).click()]);
  const list = logs.getByRole('log', { name: 'Log lines' });
  await expect(list).toContainText(/core started/);
  expect(logs.url()).toMatch(/\/logs\.html$/);
  expect(logs.url()).not.toContain(token);
  expect(await logs.evaluate(() => crossOriginIsolated)).toBe(true);

  await logs.reload();
  await expect(list).toContainText(/core started/);
  expect(logs.url()).not.toContain(token);
});

test('the page serve --open writes leads the browser to a connected dashboard with no token in the address', async ({ page, door }) => {
  const token = tokenOf(door.url);
  // Not the serving state dir: serve owns its own page there; this one is written the same way.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bb-open-page-'));
  try {
    const openPage = await writeOpenPage(dir, door.url);
    expect(openPage.path).not.toContain(token);
    await page.goto(pathToFileURL(openPage.path).href);
    await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await expectConnected(page);
    expect(page.url()).not.toContain(token);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

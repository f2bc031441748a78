/**
 * The Logs window as the Dashboard's places are held to (places.spec.ts): a screenshot in the
 * light and the dark appearance, kept as the test's attachments, the window following the
 * system's appearance, and every control reachable by Tab in order, with no builder VM.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/headlessDoor.js';

async function openLogs(page: Page, url: string): Promise<Page> {
  await page.goto(url);
  const [logs] = await Promise.all([page.waitForEvent('popup'), page.getByRole('link', { name: 'Open Logs' }).click()]);
  await expect(logs.getByRole('log', { name: 'Log lines' })).toContainText(/core started/);
  return logs;
}

function colours(logs: Page): Promise<{ body: string; list: string; text: string }> {
  return logs.evaluate(() => {
    const list = document.querySelector('.log-list')!;
    return { body: getComputedStyle(document.body).backgroundColor, list: getComputedStyle(list).backgroundColor, text: getComputedStyle(list).color };
  });
}

test('the Logs window in the light and the dark appearance, with a screenshot of each', async ({ page, door }, testInfo) => {
  const logs = await openLogs(page, door.url);
  const seen: Record<string, Awaited<ReturnType<typeof colours>>> = {};
  for (const colorScheme of ['light', 'dark'] as const) {
    await logs.emulateMedia({ colorScheme });
    const shot = testInfo.outputPath(`logs-window-${colorScheme}.png`);
    await logs.screenshot({ path: shot });
    await testInfo.attach(`logs-window-${colorScheme}`, { path: shot, contentType: 'image/png' });
    seen[colorScheme] = await colours(logs);
  }
  // It follows the appearance: the window and its lines change, and the lines stay readable on it.
  expect(seen.dark!.body).not.toBe(seen.light!.body);
  expect(seen.dark!.text).not.toBe(seen.light!.text);
  for (const scheme of ['light', 'dark']) expect(seen[scheme]!.text).not.toBe(seen[scheme]!.list);
});

test('every control of the Logs window is reachable by Tab, in order, and the lines take the keys', async ({ page, door }) => {
  const logs = await openLogs(page, door.url);
  await logs.locator('body').focus();
  const reached: string[] = [];
  // Each Tab stop as a person hears it: its label, or its text for a button.
  for (let stop = 0; stop < 40; stop += 1) {
    await logs.keyboard.press('Tab');
    const name = await logs.evaluate(() => {
      const active = document.activeElement as HTMLElement | null;
      if (!active || active === document.body) return '';
      if (active.closest('[role="log"]')) return `lines:${active.closest('[role="log"]')!.getAttribute('aria-label') ?? ''}`;
      const label = active.getAttribute('aria-label') ?? (active.closest('label')?.textContent ?? active.textContent ?? '');
      return `${active.tagName.toLowerCase()}:${label.trim()}`;
    });
    if (name === '' || reached.includes(name)) break;
    reached.push(name);
  }
  const order = ['input:app', 'input:info', 'input:Search logs', 'button:Next error', 'button:Copy', 'button:Save to file', 'button:Files', 'button:Save diagnostics', 'lines:Log lines'];
  for (const name of order) expect(reached, `Tab reaches ${name}; it reached ${reached.join(" | ")}`).toContain(name);
  const positions = order.map((name) => reached.indexOf(name));
  expect(positions, reached.join(' | ')).toEqual([...positions].sort((a, b) => a - b));

  // With the lines focused the keyboard moves through them: Home leaves the tail, End comes back.
  const jump = logs.getByRole('button', { name: 'Jump to latest' });
  await logs.setViewportSize({ width: 700, height: 120 });
  const scroller = logs.locator('[data-log-scroller]');
  await expect.poll(() => scroller.evaluate((element) => element.scrollHeight - element.clientHeight)).toBeGreaterThan(20);
  // Reached by Tab, as a keyboard user does: the list shows that it has the focus.
  await logs.locator('body').focus();
  for (let stop = 0; stop < 40 && !(await scroller.evaluate((element) => element === document.activeElement)); stop += 1) await logs.keyboard.press('Tab');
  await expect(scroller).toBeFocused();
  await expect(logs.locator('.log-list')).not.toHaveCSS('box-shadow', 'none');
  await logs.keyboard.press('Home');
  await expect(jump).toBeVisible();
  await logs.keyboard.press('End');
  await expect(jump).toBeHidden();
});

/**
 * The end-to-end test: a real `linux-test` builder under QEMU, started and stopped from
 * the Dashboard in Chromium through the headless door. TCG on a busy 2-core machine: boots take
 * a while, so the waits are long limits, not expectations.
 */
import { expect, test } from './fixtures/headlessDoor.js';

test('start the builder from the Dashboard, see it ready with console lines, then stop it', async ({ page, door }, testInfo) => {
  test.setTimeout(10 * 60_000);
  await page.goto(door.url);
  const state = page.getByRole('status', { name: 'Builder state' });
  await expect(state).toHaveText(/Stopped/);

  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await expect(state).toHaveText(/Starting…|Ready/, { timeout: 60_000 });
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeDisabled();

  await expect(state).toHaveText(/Ready/, { timeout: 6 * 60_000 });
  // What only the booted guest prints on its serial console: its init's own lines.
  const consolePanel = page.getByRole('log', { name: 'VM console' });
  await expect(consolePanel).toContainText(/builder-bar: init/);
  await expect(consolePanel).toContainText(/sshd up/);
  await expect(page.getByRole('meter', { name: 'Memory' })).toBeVisible({ timeout: 60_000 });

  const ready = testInfo.outputPath('dashboard-ready.png');
  await page.screenshot({ path: ready, fullPage: true });
  await testInfo.attach('dashboard-ready', { path: ready, contentType: 'image/png' });

  // The Logs window has the same console lines; scrolling up stops following the tail.
  const [logs] = await Promise.all([page.waitForEvent('popup'), page.getByRole('link', { name: 'Open Logs' }).click()]);
  // A short window, so the lines of one boot overflow it.
  await logs.setViewportSize({ width: 700, height: 160 });
  const logList = logs.getByRole('log', { name: 'Log lines' });
  // Virtualised: only the rows in view are in the page, and the view is at the tail. The core's
  // own lines after readiness (the clock check, the ssh connection) may come last, so the console
  // is shown alone: what remains at the tail is the guest's.
  await expect(logs.getByRole('checkbox', { name: 'vm-console', exact: true })).toBeVisible();
  const others = logs.getByRole('group', { name: 'Sources' }).locator('label').filter({ hasNotText: /^vm-console$/ });
  for (const label of await others.all()) await label.getByRole('checkbox').uncheck();
  await expect(logList).toContainText(/vm-console/);
  const jump = logs.getByRole('button', { name: 'Jump to latest' });
  await expect(jump).toBeHidden();
  await logList.hover();
  // Right after it opens the list may still be settling onto the tail; scroll as a user would
  // until the view leaves the bottom.
  await expect(async () => {
    await logs.mouse.wheel(0, -2_000);
    await expect(jump).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  // Scrolling up never resumes following by itself: the button stays until it is clicked.
  await jump.click({ timeout: 30_000 });
  await expect(jump).toBeHidden();
  await logs.close();

  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(state).toHaveText(/Stopped/, { timeout: 3 * 60_000 });
  await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeEnabled();

  const stopped = testInfo.outputPath('dashboard-stopped.png');
  await page.screenshot({ path: stopped, fullPage: true });
  await testInfo.attach('dashboard-stopped', { path: stopped, contentType: 'image/png' });
});

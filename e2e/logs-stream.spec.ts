/**
 * The Logs window while a real source streams 200k lines: a real local Nix build (Debian's
 * nix-bin, no substituters, no sandbox) whose /bin/sh builder prints numbered lines with shell
 * builtins only, arriving in the build's own `build:<id>` stream. The builder pauses at three
 * gates (named pipes the test owns) after lines 50000, 100000 and 150000, so each check happens
 * at a known point of the stream, however busy the machine is; nothing waits on a clock. The
 * window holds at most 160k lines (`?cap=`), so the last 50000 lines also trim the oldest while
 * the view is scrolled up, and the rows in view must not move.
 *
 * Builds through Builder Bar wait for the builder VM, so the linux-test guest boots first (the
 * build itself runs on this host: no machines entry is wired).
 */
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures/headlessDoor.js';
import { freeLoopbackPort } from '../electron/core/vm/testing/freeLoopbackPort.js';

test.use({ serveEnv: { NIX_CONFIG: 'build-users-group =\nsandbox = false\nsubstituters =\n' } });

/** The builder: lines 1..200000, blocking on `gates[k]` after each 50000 lines. */
function streamingDerivation(gates: string[], nonce: string): string {
  const script = [
    'i=1',
    'g=0',
    'while [ $i -le 200000 ]; do',
    '  echo "line $i"',
    '  if [ $((i % 50000)) -eq 0 ] && [ $i -lt 200000 ]; then',
    '    g=$((g + 1))',
    // `read` from a named pipe blocks until the test writes to it.
    `    case $g in 1) read go < ${gates[0]} ;; 2) read go < ${gates[1]} ;; 3) read go < ${gates[2]} ;; esac`,
    '  fi',
    '  i=$((i + 1))',
    'done',
    'echo streamed > $out',
  ].join('\n');
  return `builtins.derivation { name = "bb-stream"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" ${JSON.stringify(script).replace(/\$\{/g, '\\${')} ]; nonce = "${nonce}"; }\n`;
}

/** The number of the last `line N` row rendered (the list renders only what is in view). */
async function lastRowText(list: Locator): Promise<string> {
  return (await list.locator('.log-row .log-text').last().textContent()) ?? '';
}

/** The Logs window, holding at most `cap` lines (`?cap=`), so the stream reaches its cap. */
async function openLogs(page: Page, cap: number): Promise<Page> {
  const [logs] = await Promise.all([page.waitForEvent('popup'), page.getByRole('link', { name: 'Open Logs' }).click()]);
  const url = new URL(logs.url());
  url.search = `?cap=${cap}`;
  await logs.goto(url.toString());
  return logs;
}

const WINDOW_CAP = 160_000;
/** A row's height in the Logs window (app.css: .log-row). */
const ROW_HEIGHT = 18;

test('the Logs window follows a 200k-line build, pauses when scrolled up, searches and filters', async ({ page, door }) => {
  test.setTimeout(15 * 60_000);
  const gates = ['gate1', 'gate2', 'gate3'].map((name) => path.join(door.stateDir, name));
  for (const gate of gates) await execa('mkfifo', ['-m', '600', gate]);
  const release = (gate: number) => writeFile(gates[gate]!, 'go\n');
  const nixFile = path.join(door.stateDir, 'stream.nix');
  await writeFile(nixFile, streamingDerivation(gates, `${Date.now()}-${process.pid}`));

  expect((await door.cli(['settings', 'set', 'logs.ringLines=300000', `hostPort=${await freeLoopbackPort()}`])).exitCode).toBe(0);

  await page.goto(door.url);
  const logs = await openLogs(page, WINDOW_CAP);
  const list = logs.getByRole('log', { name: 'Log lines' });
  const scroller = list.locator('[data-log-scroller]');
  await expect(list).toContainText(/core started/);

  const building = door.cli(['build', nixFile, '--json'], 14 * 60_000);
  // The build's own stream appears as a source once it starts (after the builder is ready).
  const buildToggle = logs.getByRole('checkbox', { name: /^build:/ });
  await expect(buildToggle).toBeVisible({ timeout: 8 * 60_000 });
  const buildSource = (await buildToggle.locator('xpath=..').textContent())?.trim() ?? '';
  expect(buildSource).toMatch(/^build:build-[a-z0-9-]+$/);

  // Source filter: only the build's stream.
  for (const source of ['app', 'vm-console', 'qemu', 'ssh', 'nix-wiring']) {
    await logs.getByRole('checkbox', { name: source, exact: true }).uncheck();
  }
  await expect(list.locator('.log-row').first()).toBeVisible();
  const shownSources = await list.locator('.log-row .log-source').allTextContents();
  expect(new Set(shownSources)).toEqual(new Set([buildSource]));

  // Follow holds the tail: line 50000 is the last line at gate 1, line 100000 at gate 2.
  await expect.poll(() => lastRowText(list), { timeout: 5 * 60_000 }).toMatch(/bb-stream> line 50000$/);
  await expect(logs.getByRole('button', { name: 'Jump to latest' })).toBeHidden();
  await release(0);
  await expect.poll(() => lastRowText(list), { timeout: 5 * 60_000 }).toMatch(/bb-stream> line 100000$/);

  // Scrolling up pauses following: while 50000 more lines arrive, the rows in view stay.
  await list.hover();
  for (let i = 0; i < 5; i += 1) await logs.mouse.wheel(0, -1500);
  const jump = logs.getByRole('button', { name: 'Jump to latest' });
  await expect(jump).toBeVisible();
  const viewBefore = await list.locator('.log-row .log-text').allTextContents();
  expect(viewBefore.at(-1)).not.toMatch(/line 100000$/);
  // Following, the scroller held only the newest rows; scrolled up, it holds them all again, and
  // the view stays where the wheel took it, a few hundred lines above the tail (not at the top).
  expect(Number(/line (\d+)$/.exec(viewBefore.at(-1) ?? '')?.[1])).toBeGreaterThan(95_000);
  expect(await scroller.evaluate((element) => element.scrollHeight)).toBeGreaterThan(100_000 * ROW_HEIGHT);
  await release(1);
  const count = logs.getByLabel('Line count');
  await expect.poll(async () => Number(((await count.textContent()) ?? '').replace(/\D/g, '')), { timeout: 5 * 60_000 }).toBeGreaterThanOrEqual(150_000);
  expect(await list.locator('.log-row .log-text').allTextContents()).toEqual(viewBefore);
  await expect(jump).toBeVisible();

  // The jump returns to the tail, and following resumes.
  await jump.click();
  await expect.poll(() => lastRowText(list), { timeout: 60_000 }).toMatch(/bb-stream> line 150000$/);
  await expect(jump).toBeHidden();

  // Scrolled up again while the last 50000 lines pass the window's cap (160k): the oldest lines
  // are trimmed under the view, and the rows in view still stay.
  for (let i = 0; i < 5; i += 1) await logs.mouse.wheel(0, -1500);
  await expect(jump).toBeVisible();
  const viewAtCap = await list.locator('.log-row .log-text').allTextContents();
  expect(viewAtCap.at(-1)).not.toMatch(/line 150000$/);
  await release(2);
  const built = await building;
  expect(built.exitCode, `${built.stdout}\n${built.stderr}`).toBe(0);
  const notHeld = logs.getByLabel('Lines not held');
  await expect.poll(async () => Number(((await notHeld.textContent()) ?? '').split(' trimmed')[0]!.replace(/\D/g, '')), { timeout: 5 * 60_000 }).toBeGreaterThanOrEqual(40_000);
  // The window holds 160,000 lines of every source; the other sources' few newer lines among them.
  const atCap = /^(159,9\d\d|160,000) lines$/;
  await expect(count).toHaveText(atCap, { timeout: 5 * 60_000 });
  expect(await list.locator('.log-row .log-text').allTextContents()).toEqual(viewAtCap);
  await jump.click();
  await expect.poll(() => lastRowText(list), { timeout: 60_000 }).toMatch(/succeeded/);
  await expect(notHeld).toHaveText(/ 0 dropped$/);

  // Following, the scroller holds only the newest rows. A press on the scroller itself (its
  // scrollbar, which headless Chromium hides, so the press is dispatched) makes it span every
  // line before a drag starts, the tail still in view; let go, it holds the tail's rows again.
  const scrollHeight = () => scroller.evaluate((element) => element.scrollHeight);
  expect(await scrollHeight()).toBeLessThanOrEqual(2_000 * ROW_HEIGHT);
  await scroller.dispatchEvent('pointerdown');
  await expect.poll(scrollHeight).toBeGreaterThan(100_000 * ROW_HEIGHT);
  expect(await lastRowText(list)).toMatch(/succeeded/);
  await logs.evaluate(() => window.dispatchEvent(new PointerEvent('pointerup')));
  await expect.poll(scrollHeight).toBeLessThanOrEqual(2_000 * ROW_HEIGHT);
  expect(await lastRowText(list)).toMatch(/succeeded/);

  // Home goes to the first line held (the stream's lines from about 40,000 on), not to the first
  // of the rows the following scroller held; End comes back to the tail and follows it again.
  await scroller.focus();
  await logs.keyboard.press('Home');
  await expect(jump).toBeVisible();
  await expect.poll(async () => Number(/line (\d+)$/.exec((await list.locator('.log-row .log-text').first().textContent()) ?? '')?.[1])).toBeLessThan(60_000);
  expect(await scroller.evaluate((element) => element.scrollTop)).toBe(0);
  await logs.keyboard.press('End');
  await expect(jump).toBeHidden();
  await expect.poll(() => lastRowText(list)).toMatch(/succeeded/);

  // Search finds one given line among the 160k held and scrolls it into view.
  const search = logs.getByRole('searchbox', { name: 'Search logs' });
  await search.fill('line 123456');
  await expect(logs.getByLabel('Search matches')).toHaveText('0 of 1', { timeout: 30_000 });
  await search.press('Enter');
  await expect(logs.getByLabel('Search matches')).toHaveText('1 of 1');
  const found = list.locator('.log-row.current-match');
  await expect(found).toHaveText(/bb-stream> line 123456$/);
  await expect(found).toBeInViewport();
  await search.fill('');

  // Level filter: the build's lines are info; without info only its other levels remain.
  const info = logs.getByRole('checkbox', { name: 'info', exact: true });
  await info.uncheck();
  await expect(list.locator('.level-info')).toHaveCount(0);
  await expect(count).not.toHaveText(atCap);
  await info.check();
  await expect(count).toHaveText(atCap);

  // Source filter the other way round: the app log alone holds no build line.
  await logs.getByRole('checkbox', { name: 'app', exact: true }).check();
  await buildToggle.uncheck();
  await expect(list.locator('.log-row').first()).toBeVisible();
  expect(new Set(await list.locator('.log-row .log-source').allTextContents())).toEqual(new Set(['app']));
  await expect(list).toContainText(/Build build-[a-z0-9-]+ succeeded/);
});

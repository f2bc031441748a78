/**
 * The Dashboard's places through the headless door, no VM: each place reached by mouse and by
 * keyboard, with a screenshot of each in the light and the dark appearance (kept as the test's
 * attachments), the address naming the place (reload, Back, an unknown place, the token beside
 * it, a fragment-only load as the Electron shell's tray does it), and the builder's state in
 * sight from every place.
 */
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures/headlessDoor.js';
import { openPlace, placeLink, sidebar, type PlaceTitle } from './fixtures/places.js';

/** Something only that place shows. */
const marks: Record<PlaceTitle, (page: Page) => Locator> = {
  Builder: (page) => page.getByRole('status', { name: 'Builder state' }),
  Builds: (page) => page.getByRole('form', { name: 'Start a build' }),
  Nix: (page) => page.getByRole('region', { name: 'Nix wiring' }),
  Baselines: (page) => page.getByRole('region', { name: 'Baselines' }),
  Builders: (page) => page.getByRole('region', { name: 'Remote builders' }),
  Settings: (page) => page.getByRole('region', { name: 'Settings' }),
};
const titles = Object.keys(marks) as PlaceTitle[];

async function expectShown(page: Page, title: PlaceTitle): Promise<void> {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(placeLink(page, title)).toHaveAttribute('aria-current', 'page');
  await expect(marks[title](page)).toBeVisible();
  for (const other of titles) if (other !== title) await expect(marks[other](page)).toBeHidden();
  await expect(sidebar(page).locator('[aria-current]')).toHaveCount(1);
}

function backgrounds(page: Page): Promise<{ body: string; sidebar: string; current: string }> {
  return page.evaluate(() => {
    const of = (selector: string) => getComputedStyle(document.querySelector(selector)!).backgroundColor;
    return { body: of('body'), sidebar: of('nav.sidebar'), current: of('nav.sidebar [aria-current="page"]') };
  });
}

test('every place by mouse, in the light and the dark appearance, with a screenshot of each', async ({ page, door }, testInfo) => {
  const seen: Record<string, Awaited<ReturnType<typeof backgrounds>>> = {};
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.goto(door.url);
    await expectShown(page, 'Builder');
    for (const title of titles) {
      await openPlace(page, title);
      await expectShown(page, title);
      // The builder's state stays in sight in every place.
      await expect(sidebar(page).getByRole('status')).toHaveText(/Stopped/);
      await expect(sidebar(page).getByRole('status')).toBeVisible();
      const shot = testInfo.outputPath(`place-${title.toLowerCase()}-${colorScheme}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      await testInfo.attach(`place-${title.toLowerCase()}-${colorScheme}`, { path: shot, contentType: 'image/png' });
    }
    seen[colorScheme] = await backgrounds(page);
  }
  // The page follows the appearance: the window, the sidebar and the selected place all change.
  expect(seen.dark!.body).not.toBe(seen.light!.body);
  expect(seen.dark!.sidebar).not.toBe(seen.light!.sidebar);
  expect(seen.dark!.sidebar).not.toBe(seen.dark!.body);
  expect(seen.light!.sidebar).not.toBe(seen.light!.body);
});

test('every place by keyboard: Tab into the sidebar, arrows between places, Enter to open, Tab on into the place', async ({ page, door }, testInfo) => {
  await page.goto(door.url);
  await expectShown(page, 'Builder');
  await page.locator('body').focus();

  // The places are one Tab stop: the current place.
  await page.keyboard.press('Tab');
  await expect(placeLink(page, 'Builder')).toBeFocused();

  // Down moves the focus, not the place; Enter opens it.
  for (const [index, title] of titles.entries()) {
    if (index > 0) {
      await page.keyboard.press('ArrowDown');
      await expect(placeLink(page, title)).toBeFocused();
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(titles[index - 1]!);
      if (index === 1) {
        // What a keyboard user sees: the focus ring on Builds while Builder is still the place.
        const shot = testInfo.outputPath('sidebar-keyboard-focus.png');
        await page.screenshot({ path: shot });
        await testInfo.attach('sidebar-keyboard-focus', { path: shot, contentType: 'image/png' });
      }
      await page.keyboard.press('Enter');
    }
    await expectShown(page, title);
    await expect(placeLink(page, title)).toBeFocused();
  }
  // Down wraps to the first place, Up back to the last; End and Home jump.
  await page.keyboard.press('ArrowDown');
  await expect(placeLink(page, 'Builder')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(placeLink(page, 'Settings')).toBeFocused();
  await page.keyboard.press('Home');
  await expect(placeLink(page, 'Builder')).toBeFocused();
  await page.keyboard.press('End');
  await expect(placeLink(page, 'Settings')).toBeFocused();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expectShown(page, 'Builds');

  // Tab leaves the sidebar: the Logs window's link, then the place's own first control.
  await page.keyboard.press('Tab');
  await expect(sidebar(page).getByRole('link', { name: /^Logs/ })).toBeFocused();
  await page.keyboard.press('Tab');
  const form = page.getByRole('form', { name: 'Start a build' });
  await expect(form.getByRole('radio').first()).toBeFocused();
  // And back: Shift+Tab twice returns to the current place in the sidebar.
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await expect(placeLink(page, 'Builds')).toBeFocused();

  // Every place's controls are reachable by Tab from the sidebar.
  for (const title of titles) {
    await placeLink(page, title).focus();
    await page.keyboard.press('Enter');
    await expectShown(page, title);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const inPlace = await page.evaluate(() => document.activeElement?.closest('main .place:not([hidden])') !== null);
    expect(inPlace, `Tab from the sidebar reaches a control of ${title}`).toBe(true);
  }

  // Cmd+digit (Ctrl+digit off the Mac) opens a place from anywhere.
  await page.keyboard.press('ControlOrMeta+3');
  await expectShown(page, 'Nix');
  await page.keyboard.press('ControlOrMeta+1');
  await expectShown(page, 'Builder');
});

test('the address names the place: the token leaves it, a reload and Back keep to it, an unknown place is the Builder', async ({ page, door }) => {
  const printed = new URL(door.url);
  const token = printed.hash.replace('#token=', '');
  // A place beside the token, as a link or a bookmark made before the token left would have it.
  await page.goto(`${printed.origin}/#place=nix&token=${token}`);
  await expectShown(page, 'Nix');
  await expect.poll(() => page.evaluate(() => location.hash)).toBe('#place=nix');
  await expect(page).toHaveTitle('Builder Bar — Nix');

  await page.reload();
  await expectShown(page, 'Nix');

  await openPlace(page, 'Baselines');
  await page.goBack();
  await expectShown(page, 'Nix');
  await page.goForward();
  await expectShown(page, 'Baselines');

  // What the Electron shell does for "Go To → Settings" on an open window: the same page loaded
  // with another fragment. It moves the page without a reload, so nothing typed is lost.
  await page.evaluate(() => {
    document.body.dataset.sameDocument = 'yes';
  });
  await page.goto(`${printed.origin}/#place=settings`);
  await expectShown(page, 'Settings');
  expect(await page.evaluate(() => document.body.dataset.sameDocument)).toBe('yes');

  await page.goto(`${printed.origin}/#place=no-such-place`);
  await expectShown(page, 'Builder');
  await expect(page).toHaveTitle('Builder Bar — Builder');
});

test('a draft typed in one place is still there after a visit to another', async ({ page, door }) => {
  await page.goto(door.url);
  await openPlace(page, 'Builds');
  const file = page.getByRole('form', { name: 'Start a build' }).getByRole('textbox', { name: 'File', exact: true });
  await file.fill('/somewhere/job.nix');
  await openPlace(page, 'Settings');
  await openPlace(page, 'Builds');
  await expect(file).toHaveValue('/somewhere/job.nix');
});

test('a narrow window keeps the sidebar as icons, each still named', async ({ page, door }, testInfo) => {
  await page.setViewportSize({ width: 480, height: 700 });
  await page.goto(door.url);
  const width = await sidebar(page).evaluate((element) => element.getBoundingClientRect().width);
  expect(width).toBeLessThan(60);
  await openPlace(page, 'Builders');
  await expectShown(page, 'Builders');
  const shot = testInfo.outputPath('places-narrow.png');
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach('places-narrow', { path: shot, contentType: 'image/png' });
});

import { defineConfig } from '@playwright/test';

/**
 * Playwright drives the real renderer in Debian's Chromium through the headless door
 * (`builder-bar serve`). Playwright's own browser download is never used: the browser is
 * `/usr/bin/chromium` (override with BUILDER_BAR_CHROMIUM). The tests build nothing;
 * `npm test` runs `npm run build` first. `e2e/electron/` holds the Electron smoke test, which
 * has its own runner.
 *
 * One worker: a test boots a real QEMU guest under TCG on a 2-core machine.
 */
const chromiumPath = process.env.BUILDER_BAR_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: './e2e',
  testMatch: '*.spec.ts',
  testIgnore: ['electron/**'],
  // Its own folder: Playwright empties outputDir first, and test-results/soak holds the figures
  // the soak tests wrote earlier in the same `npm test`.
  outputDir: './test-results/e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  // Per-test limits against hangs; the VM test raises its own.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    browserName: 'chromium',
    viewport: { width: 760, height: 1000 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});

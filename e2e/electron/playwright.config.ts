import { defineConfig } from '@playwright/test';

/**
 * The Electron smoke test's own runner (the main playwright.config.ts drives the renderer in
 * Chromium through the headless door and ignores this folder). Run it with
 * `npx playwright test -c e2e/electron/playwright.config.ts` after `npm run build`. Where
 * Electron's runtime is not installed the test skips and prints why.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  outputDir: '../../test-results/electron',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
});

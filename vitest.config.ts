import { defineConfig } from 'vitest/config';

// Unit tests run in parallel; integration tests boot the real QEMU guest under TCG on a
// 2-core machine, so they run one file at a time with generous per-test limits. These are
// limits against hangs, not speed targets (those live in `npm run bench`).
//
// The soak scenarios (electron/soak/, the fault figures) run after the other two
// projects, one file at a time, so their kills, floods and CPU measurements share the machine
// with nothing of ours. `npm test` runs their short form; `npm run soak` (SOAK=full) the full
// counts. Their limits too are against hangs only: each scenario bounds its own waits.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['electron/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}'],
          exclude: ['**/*.integration.test.ts', '**/*.soak.test.ts', 'node_modules/**', 'out/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['electron/**/*.integration.test.ts'],
          exclude: ['node_modules/**', 'out/**'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'soak',
          include: ['electron/soak/**/*.soak.test.ts'],
          exclude: ['node_modules/**', 'out/**'],
          globalSetup: ['electron/soak/figures.ts'],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          // Full runs last long (100 QEMU kills under TCG take about an hour); short runs minutes.
          testTimeout: process.env.SOAK === 'full' ? 6 * 3_600_000 : 900_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});

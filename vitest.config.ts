import { defineConfig } from 'vitest/config';

// Unit tests run in parallel; integration tests boot the real QEMU guest under TCG on a
// 2-core machine, so they run one file at a time with generous per-test limits. These are
// limits against hangs, not speed targets (those live in `npm run bench`).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['electron/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}'],
          exclude: ['**/*.integration.test.ts', 'node_modules/**', 'out/**'],
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
    ],
  },
});

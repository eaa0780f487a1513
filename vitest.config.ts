import { defineConfig } from 'vitest/config';

// Three projects: unit (pure, fast), api (real gRPC server on a temp socket, fake ports),
// integration (real kumod in a throwaway netns booting real guests under TCG; root only).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'api', include: ['test/api/**/*.test.ts'], testTimeout: 30_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          // Guests are shared inside a file; files run one at a time so 2 cores are not oversubscribed.
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});

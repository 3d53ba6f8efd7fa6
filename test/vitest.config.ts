import { defineConfig } from 'vitest/config';

// Integration suites start real PostgreSQL, redis-server and gateway processes: one file at a time
// on these 2-core machines, generous hook timeouts for the start-up.
export default defineConfig({
  test: {
    name: 'integration',
    include: ['integration/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

import { defineConfig } from 'vitest/config';

// `npm run test:faults` (issue 14): faults injected into a real stack, each observed, asserted and
// its recovery time measured. Not part of `npm test` (they take minutes); `.ci/run` runs both.
export default defineConfig({
  root: import.meta.dirname,
  test: {
    name: 'faults',
    include: ['faults/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});

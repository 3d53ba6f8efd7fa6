import { defineConfig } from 'vitest/config';

// Every vitest suite of the repository: unit tests beside the code in each workspace, and the
// cross-service integration suite in test/ (real PostgreSQL, redis-server, gateway processes).
export default defineConfig({
  test: {
    projects: [
      'packages/audit',
      'packages/protocol',
      'packages/service-kit',
      'packages/stats',
      'packages/tokens',
      'packages/vault',
      'prisma',
      'gateway',
      'sfu',
      'sim',
      'web',
      'test',
    ],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { name: 'sfu', include: ['src/**/*.test.ts'] } });

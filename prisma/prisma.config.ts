// Prisma CLI config. Only `prisma generate` is used (offline); migrations are plain SQL applied by
// src/migrate.ts, so no datasource URL is needed here.
import { defineConfig } from 'prisma/config';

export default defineConfig({ schema: './schema.prisma' });

/**
 * CI's check that the SQL migrations and `schema.prisma` describe the same database (issue 12):
 * a fresh PostgreSQL, every migration applied, then every model, column, type, nullability and enum
 * compared with the schema. A migration without its schema change (or the reverse) fails here.
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '@lagebild/db';
import { MIGRATIONS_DIR, migrate } from '@lagebild/db/migrate';
import { parsePrismaSchema, readDatabaseShape, schemaDrift } from '@lagebild/db/schema-drift';
import { type PostgresHandle, startPostgres } from '@lagebild/infra/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let pg: PostgresHandle;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-drift-'));
  await chmod(dir, 0o755);
  pg = await startPostgres({ dataDir: join(dir, 'pg') });
  await migrate(pg.url);
});
afterAll(async () => {
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('schema.prisma and the migrations', () => {
  it('describe the same tables, columns, types, nullability and enums', async () => {
    const schema = parsePrismaSchema(await readFile(join(MIGRATIONS_DIR, '..', 'schema.prisma'), 'utf8'));
    const db = openDb(pg.url, { max: 1 });
    try {
      const shape = await readDatabaseShape(db.pool);
      // the migration runner's own bookkeeping is not part of the application's schema
      expect(schemaDrift(schema, shape.columns, shape.enums, ['_lagebild_migrations'])).toEqual([]);
    } finally {
      await db.close();
    }
  });
});

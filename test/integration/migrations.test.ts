/** The offline migration runner against a real PostgreSQL: applies once, skips after, refuses edits. */
import { chmod, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_DIR, migrate } from '@lagebild/db/migrate';
import { type PostgresHandle, startPostgres } from '@lagebild/infra/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let pg: PostgresHandle;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lagebild-migrate-'));
  await chmod(dir, 0o755);
  pg = await startPostgres({ dataDir: join(dir, 'pg') });
});
afterAll(async () => {
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('migrate()', () => {
  it('applies every migration once, then skips them', async () => {
    const first = await migrate(pg.url);
    expect(first.applied).toContain('0001_init');
    const second = await migrate(pg.url);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(first.applied);
  });

  it('is safe when several processes migrate at once', async () => {
    const results = await Promise.all([migrate(pg.url), migrate(pg.url), migrate(pg.url)]);
    expect(results.every((r) => r.applied.length === 0)).toBe(true);
  });

  it('refuses to continue when an applied migration was edited', async () => {
    const copy = join(dir, 'migrations');
    await cp(MIGRATIONS_DIR, copy, { recursive: true });
    await writeFile(join(copy, '0001_init', 'migration.sql'), '-- edited\n', { flag: 'a' });
    await expect(migrate(pg.url, copy)).rejects.toThrow(/0001_init was changed after it was applied/);
  });

  it('rolls back a failing migration and names it', async () => {
    const copy = join(dir, 'migrations-bad');
    await cp(MIGRATIONS_DIR, copy, { recursive: true });
    await cp(join(copy, '0001_init'), join(copy, '0002_broken'), { recursive: true });
    await writeFile(
      join(copy, '0002_broken', 'migration.sql'),
      'CREATE TABLE zz (id int); SELECT nonsense FROM nowhere;',
    );
    await expect(migrate(pg.url, copy)).rejects.toThrow(/migration 0002_broken failed/);
    const { default: pgmod } = await import('pg');
    const c = new pgmod.Client({ connectionString: pg.url });
    await c.connect();
    const r = await c.query("SELECT to_regclass('zz') AS t");
    await c.end();
    expect(r.rows[0].t).toBeNull();
  });
});

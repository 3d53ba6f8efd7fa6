/**
 * One database handle per process: a pg Pool shared by the Prisma client (via @prisma/adapter-pg)
 * and by the hot paths that write batches with plain SQL.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/client.ts';

export interface Db {
  prisma: PrismaClient;
  pool: pg.Pool;
  close(): Promise<void>;
}

export function openDb(databaseUrl: string, opts: { max?: number; applicationName?: string } = {}): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'lagebild',
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener the
  // process would crash. The next query gets a fresh connection.
  pool.on('error', () => {});
  // A client that is checked out (held between the statements of a transaction, or by Prisma) but
  // has no query running when PostgreSQL goes away emits 'error' on itself, which the pool does not
  // listen to then: the gateway ended with "Unhandled 'error' event" (57P01) in the fault suite's
  // PostgreSQL outage (issue 14). Its next query fails and the holder releases it as broken.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  let closed = false;
  return {
    prisma,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect();
      await pool.end().catch(() => {});
    },
  };
}

/**
 * Composable, parameterised SQL for the statistics views: Prisma's own `sql` tag (the project's
 * query layer), so every value a caller gives becomes a `$n` parameter and fragments nest without
 * anyone counting placeholders or patching text. Column names and other code constants enter
 * through `raw`; nothing a request carries ever does.
 */
import { Prisma } from '@lagebild/db';
import { TENANT_TIME_ZONE } from '@lagebild/stats';
import type pg from 'pg';

export type Sql = Prisma.Sql;
export const { sql, raw, join, empty } = Prisma;

/** The parts joined with AND (a fragment that is true when there are none). */
export function and(parts: readonly Sql[]): Sql {
  return parts.length === 0 ? sql`true` : join(parts, ' AND ');
}

/** A timestamptz column as the tenant's wall-clock time (zone a parameter, from the one constant). */
export function localTime(column: string): Sql {
  return sql`(${raw(column)} AT TIME ZONE ${TENANT_TIME_ZONE}::text)`;
}

/** The instant a local day ("YYYY-MM-DD", a parameter) begins. */
export function localDayStart(day: string): Sql {
  return sql`(${day}::date::timestamp AT TIME ZONE ${TENANT_TIME_ZONE}::text)`;
}

/** The instant a local day ends: the next day's start. */
export function localDayEnd(day: string): Sql {
  return sql`((${day}::date + 1)::timestamp AT TIME ZONE ${TENANT_TIME_ZONE}::text)`;
}

/** Runs a composed query and returns its rows, typed by the caller's row interface. */
export async function queryRows<Row extends pg.QueryResultRow>(
  db: pg.Pool | pg.PoolClient,
  query: Sql,
): Promise<Row[]> {
  const { rows } = await db.query<Row>(query.text, query.values);
  return rows;
}

/** Runs a composed statement that returns no rows of interest; the number of rows it touched. */
export async function execute(db: pg.Pool | pg.PoolClient, statement: Sql): Promise<number> {
  const { rowCount } = await db.query(statement.text, statement.values);
  return rowCount ?? 0;
}

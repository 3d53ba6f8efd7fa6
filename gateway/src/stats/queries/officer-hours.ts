/**
 * Officer-hours of a query: the hourly `officer_hours` roll-up of ended shifts plus the hour slices
 * of shifts still open, up to now; each under the team its shift started with (shifts.team). Filtered by period, team, weekday and hour (no context).
 */
import type { StatsQuery } from '@lagebild/protocol';
import type pg from 'pg';
import { queryRows, raw, type Sql, sql } from './sql.ts';
import { officerHoursWhere } from './where-clauses.ts';

/** Hours rounded to two decimals, as every view shows them. */
export const round2 = (x: number) => Math.round(x * 100) / 100;

/** The key officer-hours are grouped under: the slice's local week, or 'all'. */
function hoursKey(slice: string, byWeek: boolean): Sql {
  return byWeek ? sql`to_char(${raw(slice)}.local_week, 'YYYY-MM-DD')` : sql`'all'`;
}

interface HoursRow {
  k: string;
  seconds: number;
}

/** Officer-hours per local week (or one total under the key 'all'), ended and open shifts. */
export async function officerHours(
  pool: pg.Pool,
  tenantId: string,
  q: StatsQuery,
  byWeek: boolean,
): Promise<Map<string, number>> {
  const rows = await queryRows<HoursRow>(
    pool,
    sql`SELECT k, sum(seconds)::float8 AS seconds FROM (
       SELECT ${hoursKey('o', byWeek)} AS k, o.seconds FROM officer_hours o
        WHERE o.tenant_id = ${tenantId} AND ${officerHoursWhere(q, { slice: 'o', team: 'o' })}
       UNION ALL
       SELECT ${hoursKey('s', byWeek)} AS k, s.seconds
         FROM shifts sh, lagebild_hour_slices(sh.started_at, now()) s
        WHERE sh.tenant_id = ${tenantId} AND sh.ended_at IS NULL AND ${officerHoursWhere(q, { slice: 's', team: 'sh' })}
     ) x GROUP BY k`,
  );
  return new Map(rows.map((r) => [r.k, r.seconds / 3600]));
}

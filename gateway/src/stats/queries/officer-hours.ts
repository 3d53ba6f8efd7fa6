/**
 * Officer-hours of a query: the roll-up of ended shifts plus the hour slices of shifts still open,
 * up to now; each under the team its shift started with (shifts.team). Filtered by period, team,
 * weekday and hour (no context). The roll-up is `officer_week_hours` (migration 0019: per local week
 * and value of one dimension, kept by triggers on the hourly `officer_hours`) for a period of whole
 * weeks (every snapped period), else, and as the reference ('episodes'), the hourly `officer_hours`.
 * Seconds are added as NUMERIC (each float8 value converted, as the weekly roll-up adds them), so
 * both sources give the same float to the last bit, whatever order the rows come in.
 */
import type { StatsQuery } from '@lagebild/protocol';
import type pg from 'pg';
import { type EpisodeSource, wholeWeeks } from './episode-source.ts';
import { filterOf } from './filters.ts';
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
  source: EpisodeSource = 'rollup',
): Promise<Map<string, number>> {
  const rows = await queryRows<HoursRow>(
    pool,
    sql`SELECT k, sum(seconds)::float8 AS seconds FROM (
       ${source === 'rollup' && wholeWeeks(q) ? weeklyHours(tenantId, q, byWeek) : hourlyHours(tenantId, q, byWeek)}
       UNION ALL
       SELECT ${hoursKey('s', byWeek)} AS k, s.seconds::numeric AS seconds
         FROM shifts sh, lagebild_hour_slices(sh.started_at, now()) s
        WHERE sh.tenant_id = ${tenantId} AND sh.ended_at IS NULL AND ${officerHoursWhere(q, { slice: 's', team: 'sh' })}
     ) x GROUP BY k`,
  );
  return new Map(rows.map((r) => [r.k, r.seconds / 3600]));
}

/** Ended shifts' seconds from the hourly roll-up. */
function hourlyHours(tenantId: string, q: StatsQuery, byWeek: boolean): Sql {
  return sql`SELECT ${hoursKey('o', byWeek)} AS k, o.seconds::numeric AS seconds FROM officer_hours o
        WHERE o.tenant_id = ${tenantId} AND ${officerHoursWhere(q, { slice: 'o', team: 'o' })}`;
}

/** Ended shifts' seconds from the weekly roll-up: the filter's dimension and value, or 'all' (context has none). */
function weeklyHours(tenantId: string, q: StatsQuery, byWeek: boolean): Sql {
  const f = filterOf(q);
  const [dim, value] = f === null || f.dim === 'context' ? ['all', ''] : [f.dim, f.value];
  return sql`SELECT ${hoursKey('w', byWeek)} AS k, w.seconds FROM officer_week_hours w
        WHERE w.tenant_id = ${tenantId} AND w.dim = ${dim} AND w.value = ${value}
          AND w.local_week BETWEEN ${q.from} AND ${q.to}`;
}

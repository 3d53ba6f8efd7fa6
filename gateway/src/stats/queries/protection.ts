/**
 * What the disclosure control of @lagebild/stats needs from the database: the tenant's whole history
 * counted per local week and value of the dimension in use, once with episodes as the unit and once
 * with recordings (packages/stats/src/disclosure-control.ts has the threat model and method).
 */
import type { BreakdownDimension, StatsQuery } from '@lagebild/protocol';
import { type Atom, buildProtection, type Protection, periodMonths } from '@lagebild/stats';
import type pg from 'pg';
import { type Dimension, type Filter, filterOf, snapQuery } from './filters.ts';
import { queryRows, raw, type Sql, sql } from './sql.ts';
import { RECORDING_EPISODE, RECORDING_LOCAL_START, RECORDING_SHIFT_TEAM } from './where-clauses.ts';

/** An episode's value of each dimension, as the atoms and the filters spell it. */
export const EPISODE_VALUE: Record<Dimension, Sql> = {
  team: sql`COALESCE(team, '')`,
  context: sql`COALESCE(context::text, 'unreported')`,
  weekday: sql`local_weekday::text`,
  hour: sql`local_hour::text`,
  cell: sql`COALESCE(cell_row::text || ':' || cell_col::text, 'none')`,
};

/** The tenant's closed episodes per week and value of `dim`, over its whole history. */
export async function episodeProtection(
  pool: pg.Pool,
  tenantId: string,
  dim: Dimension | null,
): Promise<Protection> {
  const rows = await queryRows<Atom>(
    pool,
    sql`SELECT to_char(local_week, 'YYYY-MM-DD') AS week, ${dim ? EPISODE_VALUE[dim] : raw("''")} AS value,
            count(*)::int AS n
       FROM episodes WHERE tenant_id = ${tenantId} AND closed GROUP BY 1, 2`,
  );
  return buildProtection(rows);
}

/**
 * A recording's value of each dimension and the join it takes. Recordings a filter cannot reach (no
 * unit, no episode) get a value of their own that no filter names, so they count in the totals
 * without ever being shown apart.
 */
const RECORDING_VALUE: Record<BreakdownDimension, { join: Sql; value: Sql }> = {
  team: { join: sql`LEFT JOIN ${RECORDING_SHIFT_TEAM} ON true`, value: sql`COALESCE(rs.team, '')` },
  context: {
    join: sql`LEFT JOIN ${RECORDING_EPISODE} ON true`,
    value: sql`CASE WHEN ep.found THEN COALESCE(ep.context::text, 'unreported') ELSE '' END`,
  },
  weekday: { join: sql``, value: sql`extract(isodow FROM ${RECORDING_LOCAL_START})::int::text` },
  hour: { join: sql``, value: sql`extract(hour FROM ${RECORDING_LOCAL_START})::int::text` },
};

/** The tenant's recordings per week and value of `dim`, over its whole history. */
export async function recordingProtection(
  pool: pg.Pool,
  tenantId: string,
  dim: BreakdownDimension | null,
): Promise<Protection> {
  const v = dim ? RECORDING_VALUE[dim] : { join: sql``, value: raw("''") };
  const rows = await queryRows<Atom>(
    pool,
    sql`SELECT to_char(date_trunc('week', ${RECORDING_LOCAL_START}), 'YYYY-MM-DD') AS week, ${v.value} AS value,
            count(*)::int AS n
       FROM recordings r ${v.join} WHERE r.tenant_id = ${tenantId} GROUP BY 1, 2`,
  );
  return buildProtection(rows);
}

/** A query widened to whole months, its filter, and both controls for the filter's dimension. */
export interface Control {
  q: StatsQuery;
  months: string[];
  filter: Filter | null;
  episodes: Protection;
  recordings: Protection;
}

export async function loadControl(pool: pg.Pool, tenantId: string, query: StatsQuery): Promise<Control> {
  const q = snapQuery(query);
  const filter = filterOf(q);
  const [episodes, recordings] = await Promise.all([
    episodeProtection(pool, tenantId, filter?.dim ?? null),
    recordingProtection(pool, tenantId, filter?.dim ?? null),
  ]);
  return { q, months: periodMonths(q.from, q.to), filter, episodes, recordings };
}

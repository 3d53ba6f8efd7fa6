/**
 * What the disclosure control of @lagebild/stats needs from the database: the tenant's whole history
 * counted per local week and value of the dimension in use, once with episodes as the unit (from the
 * per-week roll-up, ./episode-source.ts) and once with recordings (packages/stats/src/disclosure-control.ts has the threat model and method).
 */
import type { BreakdownDimension, StatsQuery } from '@lagebild/protocol';
import { type Atom, buildProtection, type Protection, periodMonths } from '@lagebild/stats';
import type pg from 'pg';
import { type EpisodeSource, episodeAtoms } from './episode-source.ts';
import { type Dimension, type Filter, filterOf, snapQuery } from './filters.ts';
import { cachedMonthProtection } from './protection-cache.ts';
import { queryRows, raw, type Sql, sql } from './sql.ts';
import { RECORDING_EPISODE, RECORDING_LOCAL_START, RECORDING_SHIFT_TEAM } from './where-clauses.ts';

export { EPISODE_VALUE } from './episode-source.ts';

/**
 * The control over the tenant's closed episodes per week and value of `dim`, over its whole history;
 * for a dimension from the roll-ups' per-month rows, built again only when they change
 * (./protection-cache.ts: the same protection, fewer rows and less work for the heat map's grid cells).
 */
export async function episodeProtection(
  pool: pg.Pool,
  tenantId: string,
  dim: Dimension | null,
  source: EpisodeSource = 'rollup',
): Promise<Protection> {
  if (source === 'rollup' && dim !== null) return cachedMonthProtection(pool, tenantId, dim);
  return buildProtection(await episodeAtoms(pool, tenantId, dim, source));
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

export async function loadControl(
  pool: pg.Pool,
  tenantId: string,
  query: StatsQuery,
  source: EpisodeSource = 'rollup',
): Promise<Control> {
  const q = snapQuery(query);
  const filter = filterOf(q);
  const [episodes, recordings] = await Promise.all([
    episodeProtection(pool, tenantId, filter?.dim ?? null, source),
    recordingProtection(pool, tenantId, filter?.dim ?? null),
  ]);
  return { q, months: periodMonths(q.from, q.to), filter, episodes, recordings };
}

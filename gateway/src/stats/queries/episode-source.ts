/**
 * Where the episode figures come from (issue 17): the roll-ups `episode_week_counts` (migration 0018)
 * and `episode_month_counts` (0019, the same counts per ISO month), kept by triggers on `episodes` in
 * the same transaction as every episode write, or `episodes` itself, the straightforward computation
 * the roll-ups must always equal. Every view reads the roll-ups: per week for the series, per month
 * for totals and groupings (every snapped period is whole ISO months); `episodes` answers a period
 * that is not whole weeks (never, once snapped) and is kept as the reference for the tests and
 * `bench:stats`. Every query is the tenant's.
 */
import type { StatsQuery } from '@lagebild/protocol';
import { type Atom, periodMonths, snapPeriod } from '@lagebild/stats';
import type pg from 'pg';
import { COUNTS_SQL, type Counts, ZERO_COUNTS } from './episode-counts.ts';
import { type Dimension, filterOf } from './filters.ts';
import { queryRows, raw, type Sql, sql } from './sql.ts';
import { episodeWhere } from './where-clauses.ts';

/**
 * 'rollup' in the gateway; 'episodes' for the reference computation from the base tables (`episodes`,
 * and the hourly `officer_hours` for officer-hours, ./officer-hours.ts).
 */
export type EpisodeSource = 'rollup' | 'episodes';

/** An episode's value of each dimension, as the atoms, the filters and the roll-up's `value` spell it. */
export const EPISODE_VALUE: Record<Dimension, Sql> = {
  team: sql`COALESCE(team, '')`,
  context: sql`COALESCE(context::text, 'unreported')`,
  weekday: sql`local_weekday::text`,
  hour: sql`local_hour::text`,
  cell: sql`COALESCE(cell_row::text || ':' || cell_col::text, 'none')`,
};

const isMonday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay() === 1;
const isSunday = (day: string) => new Date(`${day}T00:00:00Z`).getUTCDay() === 0;

/** Is the period whole local weeks, Monday to Sunday (as every period snapped to ISO months is)? */
export function wholeWeeks(q: Pick<StatsQuery, 'from' | 'to'>): boolean {
  return isMonday(q.from) && isSunday(q.to) && q.from <= q.to;
}

/** Is the period whole ISO months (as every snapped period is)? */
export function wholeMonths(q: Pick<StatsQuery, 'from' | 'to'>): boolean {
  const s = snapPeriod(q.from, q.to);
  return s.from === q.from && s.to === q.to;
}

/** How counts are grouped: one total (key 'all'), per local week (key 'YYYY-MM-DD'), or per value of a dimension. */
export type CountsBy = 'total' | 'week' | Dimension;

export type KeyedCounts = Counts & { key: string };

const ROLLUP_COUNTS = sql`
  sum(episodes)::int AS episodes, sum(display)::int AS display,
  sum(display_then_recording)::int AS display_then_recording, sum(direct_recording)::int AS direct_recording,
  sum(recordings)::int AS recordings, sum(deescalated)::int AS deescalated, sum(verbal)::int AS verbal,
  sum(physical)::int AS physical, sum(announced)::int AS announced, sum(reported)::int AS reported`;

/**
 * The period's closed episodes in the query's filter, counted `by` total, week or a dimension (which
 * must be the filter's own when there is one). Groups without episodes are left out, except the total,
 * which is always one row. The percentiles are null here (see displayToRecording).
 */
export async function episodeCounts(
  pool: pg.Pool,
  tenantId: string,
  q: StatsQuery,
  by: CountsBy,
  source: EpisodeSource = 'rollup',
): Promise<KeyedCounts[]> {
  const filter = filterOf(q);
  const byDim = by !== 'total' && by !== 'week' ? by : null;
  if (byDim !== null && filter !== null && filter.dim !== byDim) {
    throw new Error(`episode counts by ${byDim} under a ${filter.dim} filter: a cross table`);
  }
  let rows: Array<Omit<KeyedCounts, 'd2r_median' | 'd2r_p90'>>;
  if (source === 'rollup' && by !== 'week' && wholeMonths(q)) {
    const months = periodMonths(q.from, q.to);
    rows = await queryRows(
      pool,
      sql`SELECT ${by === 'total' ? sql`'all'` : raw('value')} AS key, ${ROLLUP_COUNTS} FROM episode_month_counts
           WHERE tenant_id = ${tenantId} AND dim = ${byDim ?? filter?.dim ?? 'all'}
             AND iso_month BETWEEN ${`${months[0]}-01`}::date AND ${`${months.at(-1)}-01`}::date
             AND episodes > 0 ${filter ? sql`AND value = ${filter.value}` : sql``}
           GROUP BY 1 ORDER BY 1`,
    );
  } else if (source === 'rollup' && wholeWeeks(q)) {
    const key =
      by === 'total' ? sql`'all'` : by === 'week' ? sql`to_char(local_week, 'YYYY-MM-DD')` : raw('value');
    const dim = byDim ?? filter?.dim ?? 'all';
    rows = await queryRows(
      pool,
      sql`SELECT ${key} AS key, ${ROLLUP_COUNTS} FROM episode_week_counts
           WHERE tenant_id = ${tenantId} AND dim = ${dim} AND local_week BETWEEN ${q.from} AND ${q.to}
             AND episodes > 0 ${filter ? sql`AND value = ${filter.value}` : sql``}
           GROUP BY 1 ORDER BY 1`,
    );
  } else {
    const key =
      by === 'total'
        ? sql`'all'`
        : by === 'week'
          ? sql`to_char(local_week, 'YYYY-MM-DD')`
          : EPISODE_VALUE[by];
    rows = await queryRows(
      pool,
      sql`SELECT ${key} AS key, ${COUNTS_SQL} FROM episodes WHERE ${episodeWhere(tenantId, q)}
           GROUP BY 1 HAVING count(*) > 0 ORDER BY 1`,
    );
  }
  const out: KeyedCounts[] = rows.map((r) => ({ ...r, d2r_median: null, d2r_p90: null }));
  if (by === 'total' && out.length === 0) out.push({ ...ZERO_COUNTS, key: 'all' });
  return out;
}

/**
 * Seconds from display to recording (median, 90th percentile) of the period's escalated episodes in
 * the filter; from `episodes` through the partial covering index of the escalated ones (0018).
 */
export async function displayToRecording(
  pool: pg.Pool,
  tenantId: string,
  q: StatsQuery,
): Promise<Pick<Counts, 'd2r_median' | 'd2r_p90'>> {
  // the summary's DISPLAY_TO_RECORDING_SQL with its FILTER moved into WHERE (the same episodes): a
  // FILTER on display_first, a column the index does not hold, would turn the index-only scan into
  // heap fetches (883 ms instead of 56 ms over 34,000 escalated episodes, bench:stats data)
  const d2r = sql`extract(epoch FROM recording_at - display_at)`;
  const rows = await queryRows<Pick<Counts, 'd2r_median' | 'd2r_p90'>>(
    pool,
    sql`SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ${d2r}) AS d2r_median,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY ${d2r}) AS d2r_p90
          FROM episodes
         WHERE ${episodeWhere(tenantId, q)} AND display_first AND recording_at IS NOT NULL`,
  );
  return rows[0] ?? { d2r_median: null, d2r_p90: null };
}

/** The tenant's closed episodes per local week and value of `dim` (or '' for none), over its whole history. */
export async function episodeAtoms(
  pool: pg.Pool,
  tenantId: string,
  dim: Dimension | null,
  source: EpisodeSource = 'rollup',
): Promise<Atom[]> {
  if (source === 'rollup') {
    return queryRows<Atom>(
      pool,
      sql`SELECT to_char(local_week, 'YYYY-MM-DD') AS week, value, episodes AS n FROM episode_week_counts
           WHERE tenant_id = ${tenantId} AND dim = ${dim ?? 'all'} AND episodes > 0`,
    );
  }
  return queryRows<Atom>(
    pool,
    sql`SELECT to_char(local_week, 'YYYY-MM-DD') AS week, ${dim ? EPISODE_VALUE[dim] : raw("''")} AS value,
            count(*)::int AS n
       FROM episodes WHERE tenant_id = ${tenantId} AND closed GROUP BY 1, 2`,
  );
}

/**
 * GET /api/stats/breakdown: the period's episodes per value of one dimension (team, context,
 * weekday, hour), each row under the disclosure control for that dimension. A filter on another
 * dimension would make a cross table, which the control does not protect: refused then.
 */
import type { BreakdownDimension, StatsBreakdown, StatsQuery } from '@lagebild/protocol';
import { type Protection, periodMonths, periodVerdict } from '@lagebild/stats';
import type pg from 'pg';
import { type Counts, deescalationRate } from './episode-counts.ts';
import { type EpisodeSource, episodeCounts } from './episode-source.ts';
import { filterOf, snapQuery } from './filters.ts';
import { episodeProtection } from './protection.ts';

type KeyCounts = Counts & { key: string };

export async function statsBreakdown(
  pool: pg.Pool,
  tenantId: string,
  query: StatsQuery,
  by: BreakdownDimension,
  source: EpisodeSource = 'rollup',
): Promise<StatsBreakdown> {
  const q = snapQuery(query);
  const filter = filterOf(q);
  if (filter !== null && filter.dim !== by) return { query: q, by, suppressed: 'combined_filters', rows: [] };
  const [rows, prot] = await Promise.all([
    episodeCounts(pool, tenantId, q, by, source),
    episodeProtection(pool, tenantId, by, source),
  ]);
  return { query: q, by, suppressed: null, rows: breakdownRows(rows, prot, periodMonths(q.from, q.to)) };
}

/** One row per value, its figures null where the control hides the value. */
export function breakdownRows(
  rows: readonly KeyCounts[],
  prot: Protection,
  months: readonly string[],
): StatsBreakdown['rows'] {
  return rows.map((c) => {
    const reason = periodVerdict(prot, months, c.episodes, c.key);
    const shown = reason === null;
    return {
      key: c.key,
      suppressed: reason,
      episodes: shown ? c.episodes : null,
      display: shown ? c.display : null,
      recordings: shown ? c.recordings : null,
      deescalationRate: deescalationRate(c, shown),
    };
  });
}

/**
 * GET /api/stats/heatmap: episodes per coarse grid cell (packages/stats privacy.ts). Grid cells are
 * one more dimension of the disclosure control: a cell is shown when it is no small cell and no
 * complement of one in any month block of the period. Under a filter the map would be a cross
 * table of two dimensions, which the control does not protect: not shown then.
 */
import type { StatsHeatmap, StatsQuery } from '@lagebild/protocol';
import { GRID_LAT_DEG, GRID_LNG_DEG, type Protection, periodMonths, periodVerdict } from '@lagebild/stats';
import type pg from 'pg';
import { type EpisodeSource, episodeCounts } from './episode-source.ts';
import { filterOf, snapQuery } from './filters.ts';
import { episodeProtection } from './protection.ts';

/** Episodes of one cell; `key` as the control spells it, row and col null for episodes without position. */
export interface CellRow {
  key: string;
  row: number | null;
  col: number | null;
  n: number;
}

export async function statsHeatmap(
  pool: pg.Pool,
  tenantId: string,
  query: StatsQuery,
  source: EpisodeSource = 'rollup',
): Promise<StatsHeatmap> {
  const q = snapQuery(query);
  const empty = { query: q, cellLatDeg: GRID_LAT_DEG, cellLngDeg: GRID_LNG_DEG };
  if (filterOf(q) !== null) {
    return {
      ...empty,
      cells: [],
      suppressedCells: 0,
      suppressedEpisodes: null,
      suppressed: 'combined_filters',
    };
  }
  const [counts, prot] = await Promise.all([
    episodeCounts(pool, tenantId, q, 'cell', source),
    episodeProtection(pool, tenantId, 'cell', source),
  ]);
  const rows = counts.map((c) => cellRow(c.key, c.episodes));
  return { ...empty, ...shownCells(rows, prot, periodMonths(q.from, q.to)), suppressed: null };
}

/** A cell's row from its key as the control spells it ('row:col', or 'none' without position). */
export function cellRow(key: string, n: number): CellRow {
  const [row, col] = key === 'none' ? [null, null] : key.split(':').map(Number);
  return { key, row: row ?? null, col: col ?? null, n };
}

/** The cells the control lets through, sorted, and how many cells and (when allowed) episodes it hid. */
export function shownCells(
  rows: readonly CellRow[],
  prot: Protection,
  months: readonly string[],
): Pick<StatsHeatmap, 'cells' | 'suppressedCells' | 'suppressedEpisodes'> {
  const placed = rows.filter((r) => r.row !== null && r.col !== null);
  const shown = placed.filter((r) => periodVerdict(prot, months, r.n, r.key) === null);
  const all = rows.reduce((s, r) => s + r.n, 0);
  const hidden = placed.reduce((s, r) => s + r.n, 0) - shown.reduce((s, r) => s + r.n, 0);
  return {
    cells: shown
      .map((r) => ({ row: r.row!, col: r.col!, episodes: r.n }))
      .sort((a, b) => a.row - b.row || a.col - b.col),
    suppressedCells: placed.length - shown.length,
    // the placed total is part of the period's total: shown only when that is
    suppressedEpisodes: periodVerdict(prot, months, all) === null ? hidden : null,
  };
}

/**
 * The CSV export: summary and series as a spreadsheet, the very answers of GET /api/stats/summary
 * and /series, so the file shows nothing the API would hide and its total row equals the summary.
 */
import type { RetentionFigures, StatsQuery, StatsSeries, StatsSummary } from '@lagebild/protocol';
import { DEFAULT_QUIET_MS } from '@lagebild/stats';
import type pg from 'pg';
import type { EpisodeSource } from './episode-source.ts';
import { statsSeries } from './series.ts';
import { statsSummary } from './summary.ts';

export async function statsExport(
  pool: pg.Pool,
  tenantId: string,
  q: StatsQuery,
  quietMs = DEFAULT_QUIET_MS,
  source: EpisodeSource = 'rollup',
): Promise<{ summary: StatsSummary; series: StatsSeries }> {
  const [summary, series] = await Promise.all([
    statsSummary(pool, tenantId, q, quietMs, source),
    statsSeries(pool, tenantId, q, source),
  ]);
  return { summary, series };
}

/** One CSV cell: empty for null (a suppressed figure), quoted when it holds a quote, comma or newline. */
export const csvCell = (v: string | number | null) => {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

const retentionCells = (r: RetentionFigures) => [
  r.total,
  r.kept,
  r.legalHold,
  r.deleted,
  r.deletedByRetention,
  r.deletedEarly,
  r.pending,
];

/** CSV for spreadsheets: a total row, then one row per week; suppressed cells are empty. */
export function statsCsv(summary: StatsSummary, series: StatsSeries): string {
  const header = [
    'period',
    'episodes',
    'display',
    'recordings',
    'assaults',
    'officer_hours',
    'deescalation_rate',
    'deescalation_low',
    'deescalation_high',
    'recording_files',
    'kept_as_evidence',
    'legal_hold',
    'deleted',
    'deleted_by_retention',
    'deleted_early',
    'within_retention',
  ];
  const total = [
    `${summary.query.from}..${summary.query.to}`,
    summary.funnel.episodes,
    summary.funnel.display,
    summary.recordings,
    summary.assaults ? summary.assaults.verbal + summary.assaults.physical : null,
    summary.officerHours,
    summary.deescalation?.estimate ?? null,
    summary.deescalation?.low ?? null,
    summary.deescalation?.high ?? null,
    ...retentionCells(summary.retention),
  ];
  const weeks = series.points.map((p) => [
    p.weekStart,
    p.episodes,
    p.display,
    p.recordings,
    p.assaults,
    p.officerHours,
    p.deescalationRate,
    null,
    null,
    ...retentionCells(p.retention),
  ]);
  return `${[header, total, ...weeks].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
